/**
 * State that survives: a crashed instance comes back, an instance stopped by
 * hand is started again by the server, and restarting the Docker engine itself
 * brings the proxy and every funko back to their scale with no manual step,
 * secrets still mounted.
 *
 * The engine restarted is a second dockerd of the test's own (engine.ts),
 * never the host's: restarting that would stop every other container on the
 * machine. FaaSO reaches it through DOCKER_HOST (the CLI) and its socket
 * mounted as /var/run/docker.sock (the proxy container), as a user would.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { startTestEngine } from "./engine.ts";
import {
  fileTimeLimit,
  instancesOf,
  ROOT,
  tempFolder,
  timedFetch,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";
import { buildProxyImage, PROXY_IMAGE, proxyUrl, startProxy } from "./proxy_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 12 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");

Deno.test("instances come back: after a crash, a docker stop, and a restart of the engine", async (t) => {
  await buildProxyImage();
  await using engine = await startTestEngine({
    images: [PROXY_IMAGE, "debian:bookworm-slim", "denoland/deno:bin-2.9.6"],
  });
  await using source = await tempFolder();
  const name = uniqueName("it-restart");
  await using proxy = await startProxy(engine, { restart: true });
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(source.path, file));
  await Deno.writeTextFile(
    join(source.path, "funko.yml"),
    `name: ${name}\nruntime: deno\nscale: 2\nhealthcheck:\n  interval: 1s\n`,
  );
  const built = await proxy.cli(["build", source.path, "-q"]);
  assert.equal(built.code, 0, built.stderr);
  const up = await proxy.cli(["up", name]);
  assert.equal(up.code, 0, up.stderr);
  const value = `restart-secret-${crypto.randomUUID()}`;
  const added = await proxy.cli(["secret", "add", name, "token"], { stdin: value });
  assert.equal(added.code, 0, added.stderr);
  const digest = createHash("sha256").update(value).digest("hex");

  await t.step("a crashed instance is started again", async () => {
    const [victim] = await instancesOf(engine.docker, name);
    await waitForHttp(`http://${victim!.address}:3000/ping`);
    await (await timedFetch(`http://${victim!.address}:3000/crash`, { method: "POST" })).text();
    await waitUntil(async () => {
      const now = await engine.docker.containers.inspectOrNull(victim!.id);
      return now !== null && now.RestartCount > 0 && now.State.Running;
    }, "the crashed instance to run again");
    const names = new Set((await instancesOf(engine.docker, name)).map((i) => i.name));
    assert.equal(names.size, 2, "the scale is kept");
  });

  await t.step("an instance stopped by hand is started again by the server", async () => {
    const [victim] = await instancesOf(engine.docker, name);
    await engine.docker.containers.stop(victim!.id, 2);
    await waitUntil(
      async () => (await engine.docker.containers.inspectOrNull(victim!.id))?.State.Running === true,
      "the server to start it again",
      40_000,
    );
  });

  await t.step("restarting the Docker engine brings the proxy and the funko back at scale 2", async () => {
    const before = (await instancesOf(engine.docker, name)).map((i) => i.name).sort();
    const oldPid = engine.pid;
    await engine.restart();
    assert.notEqual(engine.pid, oldPid, "a new dockerd process");
    const url = await proxyUrl(engine.docker, proxy.id);
    await waitForHttp(`${url}/ping`, { timeoutMs: 60_000 });
    await waitUntil(
      async () => (await instancesOf(engine.docker, name)).filter((i) => i.state === "running").length === 2,
      "2 running instances",
      60_000,
    );
    assert.deepEqual((await instancesOf(engine.docker, name)).map((i) => i.name).sort(), before, "the same instances");
    const answers = new Set<string>();
    await waitUntil(
      async () => {
        const response = await timedFetch(`${url}/funko/${name}/`, { timeoutMs: 5_000 }).catch(() => null);
        if (response?.status === 200) answers.add(await response.text());
        else await response?.body?.cancel();
        return answers.size === 2;
      },
      "both instances to answer through the proxy",
      60_000,
    );
    for (const instance of await instancesOf(engine.docker, name)) {
      const read = await timedFetch(`http://${instance.address}:3000/secret/token`);
      assert.equal(await read.text(), digest, `${instance.name} still reads its secret`);
    }
  });
});
