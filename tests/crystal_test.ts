/**
 * The crystal runtime built and run for real. What its build downloads from
 * github.com (shards, molinillo, Kemal and its shards) comes from a mirror
 * container (tests/mirror_helpers.ts). The seed's example, built with
 * `faaso build --local myfunko/`, answers through the proxy image; a second
 * version is built by the server (its own mirror setting) and deployed; an
 * instance stopped with SIGTERM finishes the request it is serving.
 *
 * Slow by nature: a cold build is 2.5-3.5 min on 2 cores, the second build
 * (new code and shard.yml, apt and shards layers cached) about 1.5 min.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cleanupFunko,
  faasoOk,
  instancesOf,
  tempFolder,
  testDocker,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";
import { MIRROR_URL, startMirror } from "./mirror_helpers.ts";
import { startProxy } from "./proxy_helpers.ts";

/** The seed's example, as `faaso new -r crystal` writes it. */
const SEED_FUNKO = 'get "/" do\n  "Hello World Crystal!"\nend\n';

/** Version 2: two more routes, one slow enough to be in flight while the instance stops. */
const V2_ROUTES = `
get "/version" do
  "2"
end

get "/slow" do |env|
  sleep (env.params.query["seconds"]? || "3").to_f.seconds
  "slow done"
end
`;

Deno.test("crystal funko behind a github mirror: build, proxy, health, logs, deploy, SIGTERM", async (t) => {
  using docker = testDocker();
  await using mirror = await startMirror(docker);
  await using work = await tempFolder();
  const name = uniqueName("myfunko");
  const folder = join(work.path, "myfunko");
  const mirrorEnv = { FAASO_GITHUB_MIRROR: MIRROR_URL, FAASO_BUILD_NETWORK: mirror.network };
  try {
    await t.step("faaso new -r crystal writes the seed's example", async () => {
      await faasoOk(["new", "-r", "crystal", name], { cwd: work.path });
      await Deno.rename(join(work.path, name), folder);
      assert.equal(await Deno.readTextFile(join(folder, "funko.cr")), SEED_FUNKO);
    });

    await t.step("faaso build --local myfunko/ fetches shards and Kemal from the mirror", async () => {
      const started = performance.now();
      const run = await faasoOk(["build", "--local", "myfunko/"], { cwd: work.path, env: mirrorEnv });
      const seconds = (performance.now() - started) / 1000;
      assert.match(run.stdout, new RegExp(`Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest`));
      assert.match(run.stderr, /Installing kemal \(1\.3\.0\)/);
      const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
      assert.equal(image?.Config.User, "app");
      assert.equal(image?.Config.Labels?.["faaso.runtime"], "crystal");
      assert.ok(image.Config.Healthcheck?.Test?.length, "a HEALTHCHECK");
      console.log(`crystal build: ${seconds.toFixed(0)} s, image ${(image.Size / 1e6).toFixed(1)} MB`);
    });

    await using proxy = await startProxy(docker, { env: mirrorEnv });
    const base = `${proxy.url}/funko/${name}`;

    await t.step("through the proxy image: GET /, /ping, healthy, logs, user app", async () => {
      const up = await proxy.cli(["up", name]);
      assert.equal(up.code, 0, up.stderr);
      assert.equal(await waitForHttp(`${base}/`, { timeoutMs: 60_000 }), "Hello World Crystal!");
      assert.equal(await waitForHttp(`${base}/ping`), "OK");
      await waitUntil(
        async () => (await instancesOf(docker, name)).every((i) => i.health === "healthy"),
        `${name} to become healthy`,
        60_000,
      );
      const logs = await proxy.cli(["logs", name]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(
        logs.stdout,
        new RegExp(`^faaso-${name}-\\w{6} \\| ${name} \\(crystal\\) listening on port 3000$`, "m"),
      );
      const [instance] = await instancesOf(docker, name);
      assert.equal((await dockerExec(instance!.id, ["id", "-u"])).trim(), "10001");
    });

    await t.step("a new version built by the server through its mirror, then deployed", async () => {
      await Deno.writeTextFile(join(folder, "funko.cr"), SEED_FUNKO + V2_ROUTES);
      // A changed shard.yml makes shards install run again: on the server, through its mirror and network.
      await Deno.writeTextFile(join(folder, "shard.yml"), "# version 2\n", { append: true });
      const [old] = await instancesOf(docker, name);
      const build = await proxy.cli(["build", "myfunko/"], { cwd: work.path });
      assert.equal(build.code, 0, build.stderr);
      assert.match(build.stderr, new RegExp(`GitHub from ${MIRROR_URL}, RUN steps on the network ${mirror.network}`));
      assert.match(build.stderr, /Installing kemal \(1\.3\.0\)/);
      const deploy = await proxy.cli(["deploy", name]);
      assert.equal(deploy.code, 0, deploy.stderr);
      const now = await instancesOf(docker, name);
      assert.equal(now.length, 1);
      assert.notEqual(now[0]?.id, old?.id, "the old instance is gone");
      assert.equal(await waitForHttp(`${base}/version`), "2");
      assert.equal(await waitForHttp(`${base}/`), "Hello World Crystal!");
    });

    await t.step("SIGTERM (docker stop): the request in flight finishes, then the instance exits 0", async () => {
      const [instance] = await instancesOf(docker, name);
      const slow = fetch(`http://${instance!.address}:3000/slow?seconds=3`, { signal: AbortSignal.timeout(15_000) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const started = performance.now();
      await docker.containers.stop(instance!.id, 10);
      const stopSeconds = (performance.now() - started) / 1000;
      const response = await slow;
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "slow done");
      const state = (await docker.containers.inspectOrNull(instance!.id))?.State;
      assert.equal(state?.ExitCode, 0, "a clean exit, not the engine's SIGKILL (137)");
      assert.ok(stopSeconds < 5, `stopped once the request was done, not after the 10 s timeout (${stopSeconds} s)`);
    });

    await t.step("rm removes the funko's instances and images", async () => {
      const rm = await proxy.cli(["rm", name, "--yes"]);
      assert.equal(rm.code, 0, rm.stderr);
      assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
      assert.equal((await docker.images.list({ reference: [`faaso-${name}`] })).length, 0);
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});

async function dockerExec(id: string, command: string[]): Promise<string> {
  const result = await new Deno.Command("docker", { args: ["exec", id, ...command], stdout: "piped" }).output();
  return new TextDecoder().decode(result.stdout);
}
