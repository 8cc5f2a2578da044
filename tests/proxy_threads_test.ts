/**
 * `faaso serve --threads 2` on the host with a real funko (the echo fixture):
 * new connections land on both threads (the kernel spreads them over the
 * listeners sharing the port), and every request is counted once, in the
 * metrics and the access log; a worker hands a request for a sleeping funko
 * to the main thread, which holds it, wakes the funko and forwards it with
 * the client's own address and Host; a busy port and a bad --threads are
 * clear errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { Admin, echoFunko, statesOf } from "./scale_helpers.ts";
import { serve } from "./serve_helpers.ts";

const PASSWORD = "threads-test-password";
const SETTINGS = "scale: {min: 0, max: 1}\nhold: {timeout: 60s}\nhealthcheck:\n  interval: 1s\n";

Deno.test("proxy threads: both threads serve, counts are whole, held requests keep the client", async (t) => {
  using docker = testDocker();
  await using temp = await tempFolder();
  const name = uniqueName("it-threads");
  const folder = await echoFunko(temp.path, name, SETTINGS);
  const data = join(temp.path, "data");
  const accessLog = join(temp.path, "access.log");
  const env = { FAASO_DATA: data };
  // A client address that is not the loopback: what the relay to the main thread must keep.
  const address = hostAddress();
  // Every request on a connection of its own, so that each lands on either thread.
  const fresh = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    await faasoOk(["build", folder, "-q"], { env });
    await faasoOk(["up", name], { env });
    await using server = await serve({ ...env, FAASO_PASSWORD: PASSWORD }, [
      "--host",
      "0.0.0.0",
      "--threads",
      "2",
      "--access-log",
      accessLog,
    ]);
    assert.ok(server.lines.includes("Proxy threads: 2"), server.lines.join("\n"));
    const port = new URL(server.url).port;
    const base = `http://${address}:${port}`;
    const admin = new Admin(base, PASSWORD);
    await waitUntil(async () => (await admin.funko(name)).instances.some((i) => i.state === "running"), "running");
    const token = (await Deno.readTextFile(join(data, "metrics-token"))).trim();
    const metrics = async () => {
      const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` }, client: fresh });
      assert.equal(response.status, 200);
      return await response.text();
    };
    const sample = (text: string, series: string) => {
      const line = text.split("\n").find((line) => line.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const threadRequests = async () => {
      const text = await metrics();
      return [0, 1].map((thread) => sample(text, `faaso_proxy_thread_requests_total{thread="${thread}"}`));
    };
    const answered = `faaso_requests_total{funko="${name}",code="200",method="GET"}`;

    await t.step("200 requests on new connections: both threads take some, each is counted once", async () => {
      await waitUntil(async () => (await fetch(`${base}/funko/${name}/`, { client: fresh })).status === 200, "ready");
      const countedBefore = sample(await metrics(), answered);
      const before = await threadRequests();
      const statuses = await Promise.all(Array.from({ length: 8 }, async () => {
        const seen: number[] = [];
        for (let i = 0; i < 25; i++) {
          const response = await fetch(`${base}/funko/${name}/echo/spread`, { client: fresh });
          await response.body?.cancel();
          seen.push(response.status);
        }
        return seen;
      }));
      assert.deepEqual(statuses.flat().filter((status) => status !== 200), []);
      const after = await threadRequests();
      // The two metrics scrapes (on new connections too) are among the thread counts.
      const taken = after.map((count, thread) => count - before[thread]!);
      assert.ok(taken[0]! > 0 && taken[1]! > 0, `requests per thread: ${taken.join(", ")}`);
      assert.equal(taken[0]! + taken[1]!, 200 + 1, `requests per thread: ${taken.join(", ")}`);
      assert.equal(sample(await metrics(), answered) - countedBefore, 200);
      await waitUntil(async () => {
        const lines = (await Deno.readTextFile(accessLog)).split("\n").filter((line) => line.includes("/echo/spread"));
        return lines.length === 200;
      }, "200 access log lines for /echo/spread");
      const lines = (await Deno.readTextFile(accessLog)).trim().split("\n").filter((l) => l.includes("/echo/spread"));
      for (const line of lines) assert.equal(JSON.parse(line).client, address, line);
    });

    await t.step(
      "a request for a sleeping funko that a worker takes is held, woken, and keeps its client",
      async () => {
        const slept = await admin.post(`/funkos/${name}/sleep`);
        assert.equal(slept.at(-1)?.kind, "result", JSON.stringify(slept));
        await waitUntil(async () => (await statesOf(docker, name)).every((state) => state !== "running"), "asleep");
        const before = await threadRequests();
        // The Host the client sent (fetch sends the URL's), not the relay listener's.
        const host = `${address}:${port}`;
        const answers = await Promise.all(Array.from({ length: 12 }, async () => {
          const response = await fetch(`${base}/funko/${name}/echo/held`, { client: fresh });
          return { status: response.status, body: await response.text() };
        }));
        const after = await threadRequests();
        assert.ok(after[1]! - before[1]! > 0, `the worker took none of 12: ${before} -> ${after}`);
        for (const answer of answers) {
          assert.equal(answer.status, 200, answer.body);
          const headers = JSON.parse(answer.body).headers as Record<string, string>;
          assert.equal(headers["x-forwarded-for"], address, answer.body);
          assert.equal(headers["x-forwarded-host"], host, answer.body);
          assert.equal(headers["x-faaso-relay"], undefined, answer.body);
          assert.equal(headers["x-faaso-client"], undefined, answer.body);
        }
        const text = await metrics();
        assert.ok(sample(text, `faaso_wakes_total{funko="${name}"}`) >= 1, "no wake counted");
        assert.equal(sample(text, `faaso_requests_in_flight{funko="${name}"}`), 0);
      },
    );

    await t.step(
      "a client cannot pose as a worker: its relay headers reach neither the main thread nor the funko",
      async () => {
        const spoofed = { "x-faaso-relay": "guess", "x-faaso-client": "1 203.0.113.9", "x-faaso-host": "evil.example" };
        for (let i = 0; i < 8; i++) {
          const response = await fetch(`${base}/funko/${name}/echo/spoof`, { headers: spoofed, client: fresh });
          const headers = JSON.parse(await response.text()).headers as Record<string, string>;
          assert.equal(headers["x-forwarded-for"], address);
        }
        const login = await fetch(`${base}/admin/api/login`, {
          method: "POST",
          headers: spoofed,
          body: JSON.stringify({ password: PASSWORD }),
          client: fresh,
        });
        assert.equal(login.status, 200, await login.text());
      },
    );

    await t.step("a second server on the same port is refused, threads or not", async () => {
      const second = await faaso(["serve", "--port", port, "--threads", "2"], {
        env: { FAASO_DATA: join(temp.path, "d2") },
      });
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, new RegExp(`port ${port} is in use`));
    });
  } finally {
    fresh.close();
    await cleanupFunko(docker, name);
  }
});

Deno.test("proxy threads: --threads takes a whole number from 1 to 64", async () => {
  for (const bad of ["0", "65", "two"]) {
    const run = await faaso(["serve", "--threads", bad, "--port", "0"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`--threads ${bad}: use a whole number from 1 to 64`));
  }
});

/** This machine's first IPv4 address that is not the loopback. */
function hostAddress(): string {
  const found = Deno.networkInterfaces().find((i) => i.family === "IPv4" && !i.address.startsWith("127."));
  if (!found) throw new Error("this test needs an IPv4 address besides the loopback");
  return found.address;
}
