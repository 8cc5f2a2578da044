/**
 * State that survives: a crashed instance comes back, an instance stopped by
 * hand is started again by the server, and restarting the Docker engine itself
 * brings the proxy and every funko back to their scale with no manual step.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cleanupFunko,
  instancesOf,
  ROOT,
  tempFolder,
  testDocker,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";
import { proxyUrl, startProxy } from "./proxy_helpers.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");

/** Runs a shell command; true when it exits 0. */
async function sh(script: string): Promise<boolean> {
  const result = await new Deno.Command("bash", { args: ["-c", script], stdout: "null", stderr: "null" }).output();
  return result.success;
}

/**
 * Restarts the Docker engine the way it runs here: through systemd when it
 * manages docker, else by stopping dockerd and starting it again detached (as
 * .ci/setup does).
 */
async function restartDockerd(): Promise<void> {
  if (await sh("systemctl is-active --quiet docker")) {
    assert.ok(await sh("systemctl restart docker"), "systemctl restart docker");
  } else {
    assert.ok(await sh("pidof dockerd"), "dockerd is running");
    assert.ok(await sh("kill -TERM $(pidof dockerd)"));
    await waitUntil(async () => !await sh("pidof dockerd"), "dockerd to stop", 60_000);
    assert.ok(await sh("setsid nohup dockerd >>/var/log/faaso-dockerd.log 2>&1 </dev/null &"));
  }
  await waitUntil(() => sh("docker info"), "dockerd to answer again", 60_000);
}

Deno.test("instances come back: after a crash, a docker stop, and a restart of the engine", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  const name = uniqueName("it-restart");
  try {
    await using proxy = await startProxy(docker, { restart: true });
    for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(source.path, file));
    await Deno.writeTextFile(
      join(source.path, "funko.yml"),
      `name: ${name}\nruntime: deno\nscale: 2\nhealthcheck:\n  interval: 1s\n`,
    );
    assert.equal((await proxy.cli(["build", source.path, "-q"])).code, 0);
    assert.equal((await proxy.cli(["up", name])).code, 0);

    await t.step("a crashed instance is started again", async () => {
      const [victim] = await instancesOf(docker, name);
      await waitForHttp(`http://${victim!.address}:3000/ping`);
      await (await fetch(`http://${victim!.address}:3000/crash`, { method: "POST" })).text();
      await waitUntil(async () => {
        const now = await docker.containers.inspectOrNull(victim!.id);
        return now !== null && now.RestartCount > 0 && now.State.Running;
      }, "the crashed instance to run again");
      const names = new Set((await instancesOf(docker, name)).map((i) => i.name));
      assert.equal(names.size, 2, "the scale is kept");
    });

    await t.step("an instance stopped by hand is started again by the server", async () => {
      const [victim] = await instancesOf(docker, name);
      await docker.containers.stop(victim!.id, 2);
      await waitUntil(
        async () => (await docker.containers.inspectOrNull(victim!.id))?.State.Running === true,
        "the server to start it again",
        40_000,
      );
    });

    await t.step("restarting the Docker engine brings the proxy and the funko back at scale 2", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.name).sort();
      await restartDockerd();
      const url = await proxyUrl(docker, proxy.id);
      await waitForHttp(`${url}/ping`, { timeoutMs: 60_000 });
      await waitUntil(
        async () => (await instancesOf(docker, name)).filter((i) => i.state === "running").length === 2,
        "2 running instances",
        60_000,
      );
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.name).sort(), before, "the same instances");
      const answers = new Set<string>();
      await waitUntil(
        async () => {
          const response = await fetch(`${url}/funko/${name}/`).catch(() => null);
          if (response?.status === 200) answers.add(await response.text());
          else await response?.body?.cancel();
          return answers.size === 2;
        },
        "both instances to answer through the proxy",
        60_000,
      );
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
