/**
 * Schedules through a real `faaso serve` on the host and a real funko
 * (tests/fixtures/invoked): entries fire at their planned seconds, a run that
 * would overlap the previous one is skipped and counted, status shows next and
 * last runs, runs missed while the proxy was down are not replayed unless the
 * entry asks for one catch-up run, and bad entries stop the build.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, instancesOf, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";
import { chromium } from "playwright-core";
import { ROOT } from "./helpers.ts";
import { invokedFunko, type Recorded } from "./invoked_helpers.ts";

const SHOTS = join(ROOT, ".test-artifacts", "ui");

const SCHEDULE = `async:
  attempts: 1
schedule:
  - name: tick
    cron: "* * * * * *"
    method: POST
    path: /record/tick
    body: '{"hello": "schedule"}'
    headers: { content-type: application/json }
  - name: slow
    cron: "* * * * * *"
    path: /work/slow/2500
  - name: catch-up
    cron: "*/4 * * * * *"
    path: /record/catch-up
    catch_up: true
  - name: no-catch-up
    cron: "*/4 * * * * *"
    path: /record/no-catch-up
`;

Deno.test("schedules: on time, overlaps skipped, status, no replay but one catch-up on request", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-sched");
  const password = crypto.randomUUID();
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: password };
  let server = undefined as Awaited<ReturnType<typeof serve>> | undefined;
  const records = async (key: string): Promise<Recorded[]> =>
    await (await fetch(`${server!.url}/funko/${name}/records/${key}`)).json();
  const planned = (record: Recorded) => Date.parse(record.headers["x-faaso-planned"]!);
  try {
    await faasoOk(["build", await invokedFunko(folder.path, name, SCHEDULE), "-q"]);
    await faasoOk(["up", name]);
    server = await serve(env);

    await t.step("an every-second entry runs at each planned second, with its method, headers and body", async () => {
      await waitUntil(async () => (await records("tick")).length >= 4, "4 ticks", 15_000);
      const ticks = await records("tick");
      const times = ticks.map(planned);
      for (const time of times) assert.equal(time % 1000, 0, "planned on whole seconds");
      for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 1000, `consecutive: ${times}`);
      for (const tick of ticks) assert.ok(tick.at >= planned(tick), "never before its time");
      assert.equal(ticks[0]!.method, "POST");
      assert.equal(ticks[0]!.headers["content-type"], "application/json");
      assert.equal(ticks[0]!.headers["x-faaso-schedule"], "tick");
      assert.deepEqual(JSON.parse(ticks[0]!.body), { hello: "schedule" });
    });

    await t.step("a run that would overlap the running one is skipped and counted", async () => {
      await waitUntil(async () => (await records("slow")).length >= 2, "2 slow runs", 15_000);
      const runs = (await records("slow")).map(planned);
      assert.ok(runs[1]! - runs[0]! >= 3000, `the next run waits for the 2.5 s one to end: ${runs}`);
      const busy = await (await fetch(`${server!.url}/funko/${name}/busy/slow`)).json();
      assert.equal(busy.most, 1, "never two at once");
      const status = await faasoOk(["status", name, "-l"], { env });
      const line = status.stdout.split("\n").find((l) => l.trim().startsWith("slow")) ?? "";
      assert.match(line, /skipped [1-9]\d*/, status.stdout);
    });

    await t.step("faaso status shows each entry with its next and last run and the last result", async () => {
      const status = await faasoOk(["status", name, "-l"], { env });
      const tick = status.stdout.split("\n").find((l) => l.trim().startsWith("tick")) ?? "";
      assert.match(
        tick,
        /\* \* \* \* \* \* \(UTC\) {2}POST \/record\/tick {2}next \d{4}-\d\d-\d\dT[\d:.]+Z {2}last \S+Z 200/,
      );
      const json = JSON.parse((await faasoOk(["status", name, "--json", "-l"], { env })).stdout);
      const entry = json.schedules.find((s: { name: string }) => s.name === "tick");
      assert.ok(Date.parse(entry.next) > Date.parse(entry.last));
      assert.equal(entry.lastResult, "200");
      assert.equal(entry.lastOk, true);
    });

    await t.step("the web UI shows the schedules and the async queue's failures (Chromium)", async () => {
      const failing = await fetch(`${server!.url}/async/funko/${name}/flaky/ui/100/500`, { method: "POST" });
      assert.equal(failing.status, 202);
      await failing.body?.cancel();
      await Deno.mkdir(SHOTS, { recursive: true });
      const browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${server!.url}/admin/`);
        await page.getByLabel("Admin password").fill(password);
        await page.getByRole("button", { name: "Log in" }).click();
        // The dashboard is a table; the funko's card, with its queue and schedules, is on its page.
        await page.locator(`#row-${name}`).getByRole("link", { name, exact: true }).click();
        const card = page.locator(`#funko-${name}`);
        await card.waitFor();
        await waitUntil(
          async () => {
            await page.reload();
            return /1 failed/.test(await card.locator("[data-calls]").innerText().catch(() => ""));
          },
          "the failed call on the card",
          15_000,
        );
        assert.match(await card.locator("[data-calls]").innerText(), /0 queued.*1 failed/s);
        const tick = card.locator('tr[data-schedule="tick"]');
        assert.match(await tick.innerText(), /\* \* \* \* \* \*\s+UTC\s+POST \/record\/tick\s+\d{4}-.*200/s);
        assert.match(await card.locator('tr[data-schedule="slow"]').innerText(), /skipped \(overlap\)/);
        await page.screenshot({ path: join(SHOTS, "schedules.png"), fullPage: true });
      } finally {
        await browser.close();
      }
    });

    await t.step("runs missed while the proxy was down: none replayed, one catch-up where asked", async () => {
      await waitUntil(
        async () => (await records("catch-up")).length >= 1 && (await records("no-catch-up")).length >= 1,
        "both */4 entries ran once",
        15_000,
      );
      assert.equal(await server!.stop(), 0);
      const down = Date.now();
      // At least one */4 planned time passes while no proxy runs.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const before = { catchUp: (await recordsDirect("catch-up")).length };
      // Start just after a */4 time, so that none falls while the proxy starts: every planned time before the
      // restart was missed, every one after it is a regular run. (The scheduler starts, and may catch up,
      // before the proxy prints its listening line.)
      while (Date.now() % 4000 < 200 || Date.now() % 4000 > 800) await new Promise((r) => setTimeout(r, 50));
      const restarting = Date.now();
      server = await serve(env);
      await waitUntil(async () => (await records("catch-up")).length > before.catchUp, "the catch-up run", 10_000);
      // Past the next */4 time, so that regular runs after the restart are in too.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const missed = (record: Recorded) => planned(record) > down && planned(record) < restarting;
      const caughtUp = (await records("catch-up")).filter(missed);
      assert.equal(caughtUp.length, 1, "exactly one catch-up run");
      assert.ok(caughtUp[0]!.at >= restarting, "made after the restart");
      assert.deepEqual((await records("no-catch-up")).filter(missed), [], "no replay without catch_up");
      assert.ok((await records("no-catch-up")).some((r) => planned(r) >= restarting), "regular runs go on");
    });
  } finally {
    await server?.stop();
    await cleanupFunko(docker, name);
  }

  /** Records read from the funko's instance at its own address (while no proxy runs). */
  async function recordsDirect(key: string): Promise<Recorded[]> {
    const [instance] = await instancesOf(docker, name);
    return await (await fetch(`http://${instance!.address}:3000/records/${key}`)).json();
  }
});

Deno.test("bad schedule entries stop the build with errors naming the entry and the field", async () => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-badsched");
  const funko = await invokedFunko(
    folder.path,
    name,
    `schedule:
  - name: nightly
    cron: "61 * * * *"
  - cron: "0 3 * * *"
    timezone: Mars/Olympus
    path: /x
  - name: nightly
    cron: "@daily"
  - cron: "* * * * *"
    methd: POST
async:
  min_delay: 2m
  max_delay: 1m
`,
  );
  try {
    const built = await faaso(["build", funko, "-q"]);
    assert.equal(built.code, 1);
    const message = built.stderr;
    assert.match(
      message,
      /schedule\.0\.cron: "61 \* \* \* \*" is not a cron expression: .*minute.* \(entry "nightly"\)/,
    );
    assert.match(message, /schedule\.1\.timezone: "Mars\/Olympus" is not an IANA time zone .*\(entry "GET \/x"\)/);
    assert.match(message, /schedule\.2\.name: two entries are named "nightly"/);
    assert.match(message, /schedule\.3: unknown field methd/);
    assert.match(message, /async\.max_delay: max_delay must not be shorter than min_delay/);
    assert.deepEqual(await docker.images.list({ reference: [`faaso-${name}`] }), [], "no image made");
  } finally {
    await cleanupFunko(docker, name);
  }
});
