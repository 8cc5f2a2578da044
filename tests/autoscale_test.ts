/**
 * Autoscaling through a real `faaso serve` on the host and a real funko (the
 * echo fixture) with a short window (6 s, so a 0.6 s panic window): under 12
 * connections of slow requests at concurrency 2 it grows to its max of 4, the
 * status shows the target; when the load falls to one connection it shrinks
 * back to its min of 1, the removed instances drained: no request fails, up
 * or down.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faasoOk, instancesOf, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { startLoad } from "./load.ts";
import { Admin, answers, echoFunko, loginToken } from "./scale_helpers.ts";
import { type HostServer, serve } from "./serve_helpers.ts";

const SETTINGS = "scale: {min: 1, max: 4, window: 6s}\nconcurrency: 2\nhealthcheck:\n  interval: 1s\n";

Deno.test("autoscaling: up under load to max, back down to min after it, no request failed", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-scale");
  const password = crypto.randomUUID();
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: password };
  let server: HostServer | undefined;
  // Each step builds on the state the one before left: stop at the first that fails.
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step(name, fn)) throw new Error(`Step failed: ${name}`);
  };
  let loads: { stop(): Promise<unknown> }[] = [];
  const serving = async () =>
    (await instancesOf(docker, name)).filter((instance) => instance.state === "running").length;
  try {
    await faasoOk(["build", await echoFunko(folder.path, name, SETTINGS), "-q"]);
    await faasoOk(["up", name]);
    server = await serve(env);
    const admin = new Admin(server.url, password);
    const url = `${server.url}/funko/${name}/slow/0.3`;
    await waitUntil(() => answers(url), "it answers");

    const heavy = startLoad(url, 12);
    const light = startLoad(url, 1);
    loads = [heavy, light];
    await step("12 connections at concurrency 2: up to its max of 4, and status says so", async () => {
      await waitUntil(async () => (await serving()) === 4, "4 instances under load", 90_000);
      const routed = async () => (await admin.get<Record<string, { ready: boolean }[]>>("/routes"))[name] ?? [];
      await waitUntil(async () => (await routed()).filter((route) => route.ready).length === 4, "all 4 routed", 60_000);
      const activity = (await admin.funko(name)).activity!;
      assert.equal(activity.target, 4);
      assert.ok((activity.inFlight ?? 0) > 0);
      const status = await faasoOk(["status", name], {
        env: { FAASO_SERVER: server!.url, FAASO_TOKEN: await loginToken(server!.url, password) },
      });
      assert.match(status.stdout, /autoscaler target 4/);
      assert.equal(heavy.report.failed, 0, heavy.report.failures.join("\n"));
    });

    await step("the load falls to 1 connection: back to 1 instance, the others drained", async () => {
      const report = await heavy.stop();
      assert.equal(report.failed, 0, report.failures.join("\n"));
      await waitUntil(async () => (await instancesOf(docker, name)).length === 1, "1 instance again", 120_000);
      const last = await light.stop();
      assert.equal(last.failed, 0, last.failures.join("\n"));
      assert.ok(last.ok > 20, `the light load was served (${last.ok} answers)`);
      assert.equal((await admin.funko(name)).activity?.target, 1);
    });
  } catch (error) {
    if (server) console.error(`faaso serve said:\n${server.lines.join("\n")}`);
    throw error;
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
    await server?.stop();
    await cleanupFunko(docker, name);
  }
});
