/**
 * Through the server (remote mode): per-funko settings applied to instances,
 * zero-downtime deploys under load, the rollback of a deploy that never gets
 * healthy, and secrets that instances read but no API or log ever shows.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  cleanupFunko,
  fileTimeLimit,
  instancesOf,
  ROOT,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitUntil,
} from "./helpers.ts";
import { startLoad } from "./load.ts";
import { execInProxy, proxyLogs, savedToken, startProxy } from "./proxy_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 12 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");

/** Copies the echo funko into `folder` with a funko.yml of our own. */
async function echoFunko(folder: string, manifest: string): Promise<void> {
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  await Deno.writeTextFile(join(folder, "funko.yml"), manifest);
}

function manifest(name: string, version: string, extra = ""): string {
  return `name: ${name}\nruntime: deno\nenv:\n  ECHO_VERSION: ${version}\nmemory: 256m\ncpus: 1\nscale: 2\n` +
    `drain: 5s\nhealthcheck:\n  interval: 1s\n  timeout: 2s\n${extra}`;
}

Deno.test("deploys, settings and secrets through the server", async (t) => {
  using docker = testDocker();
  await using proxy = await startProxy(docker);
  await using source = await tempFolder();
  const token = await savedToken(proxy);
  const name = uniqueName("it-deploy");
  let v1 = "";
  const base = `${proxy.url}/funko/${name}`;
  const readyRoutes = async () => {
    const response = await timedFetch(`${proxy.url}/admin/api/routes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return ((await response.json())[name] ?? []).filter((r: { ready: boolean }) => r.ready).length;
  };
  try {
    await t.step("settings in funko.yml are applied to instances and shown by status", async () => {
      await echoFunko(source.path, manifest(name, "v1"));
      const built = await proxy.cli(["build", source.path, "-q"]);
      assert.equal(built.code, 0, built.stderr);
      v1 = /:(\d{8}T\d{6}Z) and/.exec(built.stdout)![1]!;
      const up = await proxy.cli(["up", name]);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /2 instances running/, "up starts the default scale");
      for (const instance of await instancesOf(docker, name)) {
        const inspect = await docker.containers.inspectOrNull(instance.id);
        assert.ok(inspect?.Config.Env?.includes("ECHO_VERSION=v1"));
        assert.equal(inspect?.HostConfig.Memory, 256 * 1024 * 1024);
        assert.equal(inspect?.HostConfig.NanoCpus, 1e9);
        const health = (inspect?.Config as { Healthcheck?: { Interval?: number } }).Healthcheck;
        assert.equal(health?.Interval, 1e9);
      }
      const status = await proxy.cli(["status", name]);
      assert.match(status.stdout, /settings of the latest image: faaso up starts 2, memory 256m, cpus 1, drain 5s/);
      assert.match(status.stdout, /healthcheck: the runtime's GET \/ping every 1s/);
      assert.match(status.stdout, /env: ECHO_VERSION=v1/);
      await waitUntil(async () => await readyRoutes() === 2, "2 ready routes", 30_000);
    });

    await t.step("a deploy under a load of 50 connections loses no request", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await echoFunko(source.path, manifest(name, "v2"));
      assert.equal((await proxy.cli(["build", source.path, "-q"])).code, 0);
      const load = startLoad(`${base}/version`, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const deployed = await proxy.cli(["deploy", name]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const report = await load.stop();
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.match(deployed.stdout, /Deployed .*2 new instances.*2 old ones drained and removed/);
      assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
      assert.ok((report.bodies.get("v1") ?? 0) > 0 && (report.bodies.get("v2") ?? 0) > 0, `${[...report.bodies]}`);
      const after = await instancesOf(docker, name);
      assert.equal(after.length, 2);
      assert.ok(after.every((i) => !before.includes(i.id)), "every instance was replaced");
      for (let i = 0; i < 20; i++) assert.equal(await (await timedFetch(`${base}/version`)).text(), "v2");
      console.log(`deploy under load: ${report.ok} requests, ${report.failed} failed`);
    });

    await t.step("a deploy that never becomes healthy is rolled back, with no failed request", async () => {
      await waitUntil(async () => await readyRoutes() === 2, "2 ready routes", 30_000);
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await echoFunko(source.path, manifest(name, "v3", "  command: exit 1\n  retries: 2\n  start_period: 1ms\n"));
      assert.equal((await proxy.cli(["build", source.path, "-q"])).code, 0);
      const load = startLoad(`${base}/version`, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const deployed = await proxy.cli(["deploy", name, "--timeout", "60"]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const report = await load.stop();
      assert.equal(deployed.code, 1);
      assert.match(
        deployed.stderr,
        new RegExp(`Cannot deploy ${name}: faaso-${name}-\\w+ is unhealthy; the old instances keep serving`),
      );
      assert.match(deployed.stderr, /last lines of faaso-/);
      assert.match(deployed.stderr, /listening on port 3000/, "the failing instance's own output is shown");
      assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
      assert.deepEqual([...report.bodies.keys()], ["v2"], "only the old version answered");
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before, "the old instances stay");
      console.log(`broken deploy under load: ${report.ok} requests, ${report.failed} failed`);
    });

    await t.step("a secret is readable in the instances and shown by no API, log or inspect", async () => {
      const value = `s3cr3t-${crypto.randomUUID()}`;
      const added = await proxy.cli(["secret", "add", name, "api-token"], { stdin: value });
      assert.equal(added.code, 0, added.stderr);
      assert.match(
        added.stdout,
        new RegExp(
          `Stored ${name}'s secret api-token \\(\\d+ bytes\\) in the data folder /data of the server ${proxy.url}\\. ` +
            `Running instances of ${name} see it in /secrets at once`,
        ),
      );
      const digest = createHash("sha256").update(value).digest("hex");
      for (const instance of await instancesOf(docker, name)) {
        const read = await timedFetch(`http://${instance.address}:3000/secret/api-token`);
        assert.equal(await read.text(), digest, `${instance.name} reads the secret`);
      }
      const listed = await proxy.cli(["secret", "ls", name]);
      assert.match(listed.stdout, new RegExp(`${name}\\s+api-token`));

      const places: [string, string][] = [
        ["secret add output", added.stdout + added.stderr],
        ["secret ls", listed.stdout + listed.stderr],
        ["secret ls --json", (await proxy.cli(["secret", "ls", "--json"])).stdout],
        ["status --json", (await proxy.cli(["status", name, "--json"])).stdout],
        ["logs", (await proxy.cli(["logs", name])).stdout],
      ];
      for (
        const path of ["/admin/api/funkos", `/admin/api/funkos/${name}`, "/admin/api/routes", "/admin/api/secrets"]
      ) {
        const response = await timedFetch(`${proxy.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
        places.push([path, await response.text()]);
      }
      for (const instance of await instancesOf(docker, name)) {
        places.push([`inspect ${instance.name}`, JSON.stringify(await docker.containers.inspectOrNull(instance.id))]);
      }
      places.push(["the server's log", await proxyLogs(proxy)]);
      for (const [where, text] of places) assert.ok(!text.includes(value), `the value shows in ${where}`);

      const removed = await proxy.cli(["secret", "rm", name, "api-token"]);
      assert.equal(removed.code, 0, removed.stderr);
      const [instance] = await instancesOf(docker, name);
      assert.equal((await timedFetch(`http://${instance!.address}:3000/secret/api-token`)).status, 404);
      const missing = await proxy.cli(["secret", "rm", name, "api-token"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /has no secret named api-token/);
    });

    await t.step("through the server, scale waits for new instances and refuses ones that crash", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await echoFunko(
        source.path,
        manifest(name, "v4", "  start_period: 1ms\n").replace("env:\n", "env:\n  ECHO_CRASH_AT_START: 'yes'\n"),
      );
      assert.equal((await proxy.cli(["build", source.path, "-q"])).code, 0);
      const run = await proxy.cli(["scale", name, "3"]);
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, new RegExp(`Cannot start ${name}: faaso-${name}-\\w+ crashed.*so it was removed`));
      assert.match(run.stderr, /crashes at start on purpose/);
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before);
    });

    await t.step("through the server, rollback deploys an earlier build; prune keeps what runs", async () => {
      const run = await proxy.cli(["rollback", name, v1]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Rolled ${name} back to faaso-${name}:${v1} .*2 new instances.*2 old ones`));
      await waitUntil(async () => await readyRoutes() === 2, "2 ready routes", 30_000);
      assert.equal(await (await fetch(`${base}/version`)).text(), "v1");
      const pruned = await proxy.cli(["prune", name, "--keep", "1"]);
      assert.equal(pruned.code, 0, pruned.stderr);
      // Kept: the newest build (v4) and the one latest names and the instances run (v1); gone: v2 and v3.
      assert.match(pruned.stdout, new RegExp(`${name}: removed 2 builds .*; 2 builds kept`));
      assert.ok(await docker.images.inspectOrNull(`faaso-${name}:${v1}`), "the running build stays");
    });

    await t.step("through the server, rm removes the funko's secrets on the server too", async () => {
      await proxy.cli(["secret", "add", name, "left-behind"], { stdin: "value" });
      const removed = await proxy.cli(["rm", name, "--yes"]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(
        removed.stdout,
        new RegExp(`Removed ${name}: 2 instances, \\d+ images, 1 secret \\(from the server`),
      );
      const listed = await fetch(`${proxy.url}/admin/api/funkos/${name}/secrets`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.deepEqual((await listed.json()).names, []);
      assert.equal((await execInProxy(proxy, `test -e /data/secrets/${name}`)).code, 1, "no folder left");
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
