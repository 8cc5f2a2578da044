/**
 * Sleep survives a restart of the Docker engine: a funko put to sleep
 * (paused, or stopped) stays asleep when the engine comes back (Docker does
 * not start its instance, nor does the proxy's reconcile or keeper), the
 * proxy finds it asleep, and the first request wakes it.
 *
 * The engine restarted is a second dockerd of the test's own (engine.ts),
 * never the host's; the proxy runs in a container on it with the restart
 * policy unless-stopped, as a self-hoster runs it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestEngine } from "./engine.ts";
import { fileTimeLimit, instancesOf, ROOT, tempFolder, timedFetch, uniqueName, waitForHttp } from "./helpers.ts";
import { buildProxyImage, PROXY_IMAGE, proxyUrl, startProxy } from "./proxy_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 12 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");

Deno.test("a sleeping funko stays asleep across an engine restart and wakes on the first request", async (t) => {
  await buildProxyImage();
  await using engine = await startTestEngine({
    images: [PROXY_IMAGE, "debian:bookworm-slim", "denoland/deno:bin-2.9.6"],
  });
  await using source = await tempFolder();
  const name = uniqueName("it-sleeprs");
  await using proxy = await startProxy(engine, { restart: true });
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(source.path, file));
  await Deno.writeTextFile(
    join(source.path, "funko.yml"),
    `name: ${name}\nruntime: deno\nscale: {min: 0, max: 1}\nidle: {pause_after: 1h, stop_after: never}\n` +
      "healthcheck:\n  interval: 1s\n",
  );
  const built = await proxy.cli(["build", source.path, "-q"]);
  assert.equal(built.code, 0, built.stderr);
  const up = await proxy.cli(["up", name]);
  assert.equal(up.code, 0, up.stderr);
  const states = async () => (await instancesOf(engine.docker, name)).map((instance) => instance.state);

  for (const depth of ["paused", "stopped"] as const) {
    await t.step(`${depth}: asleep after the engine restarted, awake on the first request`, async () => {
      const slept = await proxy.cli(["sleep", name, ...(depth === "stopped" ? ["--stop"] : [])]);
      assert.equal(slept.code, 0, slept.stderr);
      assert.match(slept.stdout, new RegExp(`sleeps \\(${depth}\\)`));
      assert.deepEqual(await states(), [depth === "paused" ? "paused" : "exited"]);

      await engine.restart();
      const url = await proxyUrl(engine.docker, proxy.id);
      await waitForHttp(`${url}/ping`, { timeoutMs: 60_000 });
      // Long enough for Docker's restart policies, the proxy's reconcile and its keeper (10 s) to act.
      await new Promise((resolve) => setTimeout(resolve, 12_000));
      // A pause does not outlive the engine: Docker starts a paused instance again (its restart policy is on), and
      // the proxy puts it back to sleep; a stopped one has its policy off and stays stopped.
      const after = await states();
      if (depth === "stopped") assert.deepEqual(after, ["exited"], "nothing started the stopped instance");
      else assert.ok(after.length === 1 && after[0] !== "running", `asleep again: ${after}`);
      const status = await proxy.cli(["status", name]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /1 instance (paused|stopped)/);

      const response = await timedFetch(`${url}/funko/${name}/`, { timeoutMs: 60_000 });
      assert.equal(response.status, 200, await response.text());
      assert.deepEqual(await states(), ["running"]);
    });
  }
});
