/**
 * The admin web UI end to end, in a real headless Chromium driven by
 * playwright-core: log in, see a funko, scale it, read its logs, deploy it,
 * add a secret whose value then appears nowhere, and the confirmations and
 * error messages. Screenshots of the main pages go to .test-artifacts/ui/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { Instance } from "../core/instances.ts";
import { launchChromium } from "./browser.ts";
import { computedColor, focusRing, tabTo } from "./ui_helpers.ts";
import {
  cleanupFunko,
  FAASO_ARGS,
  faasoOk,
  fileTimeLimit,
  instancesOf,
  ROOT,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";
import { serve } from "./serve_helpers.ts";
import { startTap } from "./http_tap.ts";
import { header } from "./raw_http.ts";

fileTimeLimit(import.meta.url, { minutes: 10 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");
const SHOTS = join(ROOT, ".test-artifacts", "ui");
const PASSWORD = "web-ui-test-password";

Deno.test("the admin web UI in Chromium: login, scale, logs, deploy, secrets", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  await Deno.mkdir(SHOTS, { recursive: true });
  const name = uniqueName("it-ui");
  const data = join(source.path, "data");
  const folder = join(source.path, "funko");
  await Deno.mkdir(folder);
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  const manifest = (version: string) =>
    `name: ${name}\nruntime: deno\nenv:\n  ECHO_VERSION: ${version}\nhealthcheck:\n  interval: 1s\n`;
  await Deno.writeTextFile(join(folder, "funko.yml"), manifest("v1"));
  let v1 = "";
  let v2 = "";

  const browser = await launchChromium();
  try {
    const built = await faasoOk(["build", folder, "-q"], { env: { FAASO_DATA: data } });
    v1 = /:(\d{8}T\d{6}Z) and/.exec(built.stdout)![1]!;
    await faasoOk(["up", name], { env: { FAASO_DATA: data } });
    await using server = await serve({ FAASO_DATA: data, FAASO_PASSWORD: PASSWORD });
    // The browser talks to the server through a tap that keeps every byte of every answer, streams still open too.
    await using tap = startTap(server.url);
    const admin = `${tap.url}/admin/`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();

    await t.step("a wrong password shows an error on the login page", async () => {
      await page.goto(admin);
      assert.match(page.url(), /\/admin\/login$/, "an anonymous visit goes to the login form");
      await page.getByLabel("Admin password").fill("not the password");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.locator("#login-error").waitFor();
      assert.match(await page.locator("#login-error").innerText(), /Wrong password/);
      await page.screenshot({ path: join(SHOTS, "login-error.png") });
    });

    await t.step("logging in shows the running funko", async () => {
      await page.getByLabel("Admin password").fill(PASSWORD);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.locator(`#row-${name}`).waitFor();
      assert.equal(await page.locator(`#row-${name} .dot`).count(), 1, "one instance in the dashboard's row");
      const engine = await docker.system.version();
      assert.ok(
        (await page.locator("main").innerText()).includes(`Docker engine ${engine.Version} (API ${engine.ApiVersion})`),
        `the engine's version ${engine.Version} is shown`,
      );
      const cookie = (await context.cookies()).find((c) => c.name === "faaso_session");
      assert.ok(cookie?.httpOnly, "the session cookie is HttpOnly");
      assert.equal(cookie?.sameSite, "Strict");
      await page.screenshot({ path: join(SHOTS, "dashboard.png"), fullPage: true });
    });

    await t.step("the card links the funko's public URL and shows its settings, env names without values", async () => {
      // The dashboard is a table: the card is on the funko's page.
      await page.locator(`#row-${name}`).getByRole("link", { name, exact: true }).click();
      const card = page.locator(`#funko-${name}`);
      const link = card.locator("a[data-public-url]");
      assert.equal(await link.getAttribute("href"), `/funko/${name}/`);
      const [instance] = await instancesOf(docker, name);
      const answer = await (await page.request.get(`${server.url}/funko/${name}/`)).text();
      assert.equal(answer, instance!.name, "the link reaches the funko through the proxy");
      await card.getByText("Settings").click();
      const settings = await card.locator("dl[data-settings]").innerText();
      assert.match(settings, /Memory\s+unlimited/);
      assert.match(settings, /CPUs\s+unlimited/);
      assert.match(settings, /Environment\s+ECHO_VERSION/);
      assert.match(settings, /Healthcheck\s+GET \/ping every 1s \(timeout 3s, start period 30s, 3 retries\)/);
      assert.doesNotMatch(settings, /v1/, "env values are not shown");
    });

    await t.step("from the keyboard: Tab reaches Start, its focus shows, Enter presses it", async () => {
      const card = page.locator(`#funko-${name}`);
      await card.getByLabel("Instances").focus();
      const start = card.getByRole("button", { name: "Start" });
      const unfocused = await start.evaluate(focusRing);
      await tabTo(page, start);
      assert.notEqual(await start.evaluate(focusRing), unfocused, "the focused button looks focused");
      await page.keyboard.press("Enter");
      await page.locator("#flash").getByText("Nothing to start or stop: 1 instance").waitFor();
      assert.match(await page.locator("#flash").innerText(), new RegExp(`1 instance of ${name} running already`));
    });

    await t.step("scaling to 2 shows two instances", async () => {
      const card = page.locator(`#funko-${name}`);
      await card.getByLabel("Instances").fill("2");
      await card.getByRole("button", { name: "Scale" }).click();
      const rows = page.locator(`#funko-${name} tr[data-instance]`);
      await waitUntil(async () => await rows.count() === 2, "two instance rows");
      await page.locator("#flash").getByText(`Started 1 instance (healthy): 2 instances of ${name} running`).waitFor();
      assert.equal((await instancesOf(docker, name)).length, 2);
    });

    await t.step(
      "Stop (Space from the keyboard) asks for confirmation, and cancelling keeps the instances",
      async () => {
        const stop = page.locator(`#funko-${name}`).getByRole("button", { name: "Stop" });
        await page.locator(`#funko-${name}`).getByRole("button", { name: "Start" }).focus();
        await tabTo(page, stop);
        // Only now: a handler left over by a failed step would also answer a later step's dialog.
        let question = "";
        page.once("dialog", (dialog) => {
          question = dialog.message();
          dialog.dismiss();
        });
        await page.keyboard.press("Space");
        await waitUntil(() => Promise.resolve(question !== ""), "the confirmation dialog");
        assert.match(question, new RegExp(`Stop and remove every instance of ${name}\\?`));
        assert.equal((await instancesOf(docker, name)).length, 2);
      },
    );

    await t.step("destructive buttons look it: red, unlike the others", async () => {
      const color = (label: string) =>
        page.locator(`#funko-${name}`).getByRole("button", { name: label, exact: true })
          .evaluate(computedColor);
      // Red, or its darker shade while focused or hovered (the dialog just gave it the focus).
      const red = /^rgb\((198, 40, 40|158, 31, 31)\)$/;
      // Read again until a colour transition (Pico's, on focus) has ended: once it was caught half-way, rgb(160, 32, 32).
      await waitUntil(async () => red.test(await color("Stop")), "the Stop button to be red", 3000);
      assert.doesNotMatch(await color("Start"), red);
      assert.doesNotMatch(await color("Deploy"), red);
    });

    await t.step("the funko's page streams its logs, each line with its instance", async () => {
      await page.goto(`${admin}funkos/${name}`);
      // The scale step's new instance may still be starting: take one that runs and listens.
      let instance: Instance | undefined;
      await waitUntil(async () => {
        instance = (await instancesOf(docker, name)).find((i) => i.state === "running" && i.address);
        return instance !== undefined;
      }, "a running instance");
      await waitForHttp(`http://${instance!.address}:3000/ping`);
      await timedFetch(`http://${instance!.address}:3000/say/hello-from-the-test`).then((r) => r.text());
      const log = page.locator("#logs pre.log");
      await waitUntil(
        async () => (await log.innerText()).includes("said: hello-from-the-test"),
        "the line in the logs",
      );
      assert.match(await log.innerText(), new RegExp(`${instance!.name} \\| said: hello-from-the-test`));
      await page.screenshot({ path: join(SHOTS, "funko.png"), fullPage: true });
    });

    await t.step(
      "an instance's colour codes are colours in the log pane; faaso logs strips them only when piped",
      async () => {
        const [instance] = await instancesOf(docker, name);
        await timedFetch(`http://${instance!.address}:3000/say-in-red/alert`).then((r) => r.text());
        const red = page.locator("#logs pre.log span[style*='color']", { hasText: "alert" });
        await red.waitFor();
        assert.equal(await red.evaluate(computedColor), "rgb(187, 0, 0)");
        const pane = await page.locator("#logs pre.log").innerText();
        assert.ok(!pane.includes("[31m") && !pane.includes("\x1b"), "no raw escape codes");
        const piped = await faasoOk(["logs", name], { env: { FAASO_DATA: data } });
        assert.match(piped.stdout, / \| alert in red$/m);
        assert.ok(!piped.stdout.includes("\x1b"), "piped: no escape codes");
        const terminal = await inTerminal([...FAASO_ARGS, "logs", name], { FAASO_DATA: data, TERM: "xterm-256color" });
        assert.ok(
          terminal.includes("\x1b[1m\x1b[31malert\x1b[0m in red"),
          `a terminal gets the colours: ${JSON.stringify(terminal)}`,
        );
      },
    );

    await t.step("a deploy shows its progress live and ends deployed", async () => {
      await Deno.writeTextFile(join(folder, "funko.yml"), manifest("v2"));
      const built = await faasoOk(["build", folder, "-q"], { env: { FAASO_DATA: data } });
      v2 = /:(\d{8}T\d{6}Z) and/.exec(built.stdout)![1]!;
      await page.locator(`#funko-${name}`).getByRole("button", { name: "Deploy", exact: true }).click();
      const status = page.locator(`#deploy-${name} [data-job-status]`);
      await status.waitFor();
      await waitUntil(async () => /Deployed/.test(await status.innerText()), "the deploy to end", 60_000);
      assert.match(
        await page.locator(`#deploy-${name} pre.log`).innerText(),
        /Starting 2 new instances[\s\S]*draining 2 old/,
      );
      await page.screenshot({ path: join(SHOTS, "deploy.png"), fullPage: true });
      // The logs view follows the new instances too.
      const [fresh] = await instancesOf(docker, name);
      await timedFetch(`http://${fresh!.address}:3000/say/after-the-deploy`).then((r) => r.text());
      const log = page.locator("#logs pre.log");
      await waitUntil(
        async () => (await log.innerText()).includes(`${fresh!.name} | said: after-the-deploy`),
        "the new instances' lines in the logs",
      );
    });

    await t.step("Force deploy replaces instances that already run the newest build", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id);
      await page.reload();
      await page.locator(`#funko-${name}`).getByRole("button", { name: "Force deploy" }).click();
      const status = page.locator(`#deploy-${name} [data-job-status]`);
      await waitUntil(async () => /Deployed: 2 new instances/.test(await status.innerText()), "the deploy", 60_000);
      const after = await instancesOf(docker, name);
      assert.equal(after.length, 2);
      assert.ok(after.every((i) => !before.includes(i.id)), "every instance was replaced");
    });

    await t.step("a build from the history is deployed again: a rollback", async () => {
      await page.reload();
      const card = page.locator(`#funko-${name}`);
      await card.getByText("Build history").click();
      assert.match(await card.locator("summary", { hasText: "Build history" }).innerText(), /Build history \(2\)/);
      const latest = card.locator(`tr[data-build="${v2}"]`);
      const latestText = await latest.innerText();
      assert.ok(/latest/.test(latestText) && /running/.test(latestText), `v2 latest, running: ${latestText}`);
      assert.equal(await latest.getByRole("button").count(), 0, "the latest build has no deploy button");
      assert.doesNotMatch(await card.locator(`tr[data-build="${v1}"]`).innerText(), /latest|running/, "v1, older");
      page.once("dialog", (dialog) => dialog.accept());
      await card.locator(`tr[data-build="${v1}"]`).getByRole("button", { name: "Deploy this build" }).click();
      const status = page.locator(`#deploy-${name} [data-job-status]`);
      await waitUntil(
        async () => (await status.innerText()).includes(`Rolled back to faaso-${name}:${v1}: 2 new instances`),
        "the rollback",
        60_000,
      );
      await page.screenshot({ path: join(SHOTS, "rollback.png"), fullPage: true });
      const [instance] = await instancesOf(docker, name);
      assert.equal(await (await timedFetch(`http://${instance!.address}:3000/version`)).text(), "v1");
      await card.getByText("Build history").click();
      await card.locator(`tr[data-build="${v1}"]`).getByText("running").waitFor();
      await card.getByText("Settings").click();
      await card.screenshot({ path: join(SHOTS, "funko-history.png") });
    });

    await t.step("a crashing instance shows its restart count and last exit code", async () => {
      const [instance] = await instancesOf(docker, name);
      await timedFetch(`http://${instance!.address}:3000/crash`, { method: "POST" }).then((r) => r.text());
      const cell = page.locator(`tr[data-instance="${instance!.name}"] [data-restarts]`);
      await waitUntil(
        async () => /1, last exit code 3/.test(await cell.innerText()),
        "the restart in the table",
        20_000,
      );
    });

    await t.step("a secret added in the form is listed by name; its value is in no page or response", async () => {
      const value = `ui-secret-${crypto.randomUUID()}`;
      const secrets = page.locator("#secrets");
      await secrets.getByLabel("Name").fill("api-key");
      await secrets.getByLabel("Value").fill(value);
      await secrets.getByRole("button", { name: "Add or replace" }).click();
      await page.locator("#secrets code", { hasText: "api-key" }).waitFor();
      assert.equal(await secrets.getByLabel("Value").inputValue(), "", "the form forgets the value");
      await page.reload();
      await page.locator("#secrets code", { hasText: "api-key" }).waitFor();
      // Every answer the browser got, read when asked and in full: the live logs and deploy progress too.
      const answers = tap.responses();
      assert.ok(
        answers.some((answer) => header(answer, "content-type")?.startsWith("text/event-stream")),
        `streamed answers are among those scanned: ${answers.map((answer) => header(answer, "content-type"))}`,
      );
      const decoder = new TextDecoder();
      for (const body of [await page.content(), ...answers.map((answer) => decoder.decode(answer.body))]) {
        assert.ok(!body.includes(value), "the value came back");
      }
      const file = await Deno.readTextFile(join(data, "secrets", name, "api-key"));
      assert.equal(file, value, "stored as typed");
    });

    await t.step("a secret replaced in the form, then deleted with its button", async () => {
      const value = `ui-secret-${crypto.randomUUID()}`;
      const file = join(data, "secrets", name, "api-key");
      const secrets = page.locator("#secrets");
      await secrets.getByLabel("Name").fill("api-key");
      await secrets.getByLabel("Value").fill(value);
      await secrets.getByRole("button", { name: "Add or replace" }).click();
      await waitUntil(async () => await Deno.readTextFile(file) === value, "the new value in the file");
      await page.reload();
      assert.equal(await page.locator("#secrets code", { hasText: "api-key" }).count(), 1, "listed once");
      const [instance] = await instancesOf(docker, name);
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value));
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
      assert.equal(await waitForHttp(`http://${instance!.address}:3000/secret/api-key`), hex, "instances read it");
      let question = "";
      page.once("dialog", (dialog) => {
        question = dialog.message();
        dialog.accept();
      });
      await page.locator("#secrets tr", { hasText: "api-key" }).getByRole("button", { name: "Delete" }).click();
      await page.locator("#secrets").getByText("No secrets.").waitFor();
      assert.equal(question, `Delete the secret api-key of ${name}?`);
      await assert.rejects(Deno.stat(file), Deno.errors.NotFound, "the file is gone");
      const decoder = new TextDecoder();
      for (const body of [await page.content(), ...tap.responses().map((answer) => decoder.decode(answer.body))]) {
        assert.ok(!body.includes(value), "the new value came back");
      }
    });

    await t.step("errors appear as messages on the page", async () => {
      await page.goto(`${admin}funkos/no-such-funko-${name}`);
      assert.match(await page.locator("main").innerText(), /No funko named no-such-funko/);
      await page.goto(`${admin}funkos/${name}`);
      const card = page.locator(`#funko-${name}`);
      const count = card.getByLabel("Instances");
      await count.evaluate((input: { removeAttribute(name: string): void }) => input.removeAttribute("max"));
      await count.fill("500");
      await card.getByRole("button", { name: "Scale" }).click();
      await page.locator("#flash").getByText("use a whole number from 0 to 100").waitFor();
      await page.screenshot({ path: join(SHOTS, "error.png") });
    });

    await t.step("the pages are readable at 375 px", async () => {
      const phone = await browser.newContext({ viewport: { width: 375, height: 800 } });
      const small = await phone.newPage();
      await login(small, admin);
      await small.goto(`${admin}funkos/${name}`);
      const overflow = await small.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
      assert.ok(overflow <= 1, `no sideways scrolling at 375 px (${overflow} px too wide)`);
      await small.screenshot({ path: join(SHOTS, "funko-375.png"), fullPage: true });
      await small.goto(admin);
      await small.screenshot({ path: join(SHOTS, "dashboard-375.png"), fullPage: true });
      await phone.close();
    });

    await t.step("a state-changing request without the CSRF token is refused", async () => {
      const cookies = await context.cookies();
      const session = cookies.find((c) => c.name === "faaso_session")!.value;
      const response = await timedFetch(`${admin}funkos/${name}/down`, {
        method: "POST",
        headers: { cookie: `faaso_session=${session}`, "content-type": "application/x-www-form-urlencoded" },
        body: "confirm=yes",
      });
      assert.equal(response.status, 403);
      await response.body?.cancel();
      assert.equal((await instancesOf(docker, name)).length, 2);
    });

    await t.step("without JavaScript, a destructive form asks on a page of its own first", async () => {
      const cookies = await context.cookies();
      const cookie = `faaso_session=${cookies.find((c) => c.name === "faaso_session")!.value}`;
      const page = await (await timedFetch(`${admin}funkos/${name}`, { headers: { cookie } })).text();
      const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(page)?.[1];
      assert.ok(csrf, "the page carries its CSRF token");
      const form = { "content-type": "application/x-www-form-urlencoded", cookie };
      const asked = await timedFetch(`${admin}funkos/${name}/down`, {
        method: "POST",
        headers: form,
        body: `_csrf=${csrf}`,
      });
      assert.equal(asked.status, 200);
      assert.match(await asked.text(), /Are you sure\?[\s\S]*name="confirm" value="yes"/);
      assert.equal((await instancesOf(docker, name)).length, 2, "nothing stopped yet");
    });
  } finally {
    await browser.close();
    await cleanupFunko(docker, name);
  }
});

/** Runs a command in a pseudo-terminal (util-linux script) and returns what the terminal showed. */
async function inTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const quoted = [Deno.execPath(), ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const environment = { ...Deno.env.toObject(), ...env };
  delete environment.NO_COLOR;
  const result = await new Deno.Command("script", {
    args: ["-qec", quoted, "/dev/null"],
    env: environment,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(result.stdout);
}

async function login(page: Page, admin: string): Promise<void> {
  await page.goto(admin);
  await page.getByLabel("Admin password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("h1", { hasText: "Funkos" }).waitFor();
}
