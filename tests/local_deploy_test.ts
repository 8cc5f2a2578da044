/**
 * Deploys and secrets in local mode (the CLI does the work itself) while a
 * separate `faaso serve` on the host carries a steady load: the proxy learns
 * of the change only from the engine's events.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  cleanupFunko,
  faaso,
  faasoOk,
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
import { serve } from "./serve_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 10 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");

Deno.test("local mode: build --deploy under load, a broken deploy, secrets", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  const name = uniqueName("it-local");
  const data = join(source.path, "data");
  const env = { FAASO_DATA: data };
  const write = (version: string, extra = "") =>
    Deno.writeTextFile(
      join(source.path, "funko", "funko.yml"),
      `name: ${name}\nruntime: deno\nscale: 2\ndrain: 3s\nenv:\n  ECHO_VERSION: ${version}\nhealthcheck:\n  interval: 1s\n${extra}`,
    );
  try {
    await Deno.mkdir(join(source.path, "funko"));
    for (const file of ["funko.ts", "deno.json"]) {
      await Deno.copyFile(join(ECHO, file), join(source.path, "funko", file));
    }
    await write("v1");
    const v1 = /:(\d{8}T\d{6}Z) and/.exec(
      (await faasoOk(["build", "funko", "-q"], { cwd: source.path, env })).stdout,
    )![1]!;
    await faasoOk(["up", name], { env });
    await using server = await serve({ FAASO_DATA: join(source.path, "server-data"), FAASO_PASSWORD: "local-test-pw" });
    const url = `${server.url}/funko/${name}/version`;
    await waitUntil(async () => (await timedFetch(url).then((r) => r.text()).catch(() => "")) === "v1", "v1 to answer");

    await t.step("build --deploy under a load of 50 connections loses no request", async () => {
      await write("v2");
      const load = startLoad(url, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const run = await faaso(["build", "funko", "-q", "--deploy"], { cwd: source.path, env });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const report = await load.stop();
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /Built .*\nDeployed .*2 new instances.*2 old ones drained and removed/);
      assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
      assert.ok((report.bodies.get("v2") ?? 0) > 0);
      console.log(`local deploy under load: ${report.ok} requests, ${report.failed} failed`);
    });

    await t.step("deploying again without a change does nothing; --force replaces", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id);
      const same = await faasoOk(["deploy", name], { env });
      assert.match(same.stdout, /every instance already runs the newest image/);
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id), before);
      await faasoOk(["deploy", name, "--force"], { env });
      assert.ok((await instancesOf(docker, name)).every((i) => !before.includes(i.id)));
    });

    await t.step("a deploy whose instances crash is rolled back, naming the reason", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await write("v3", "  command: exit 1\n  retries: 1\n  start_period: 1ms\n");
      await faasoOk(["build", "funko", "-q"], { cwd: source.path, env });
      const run = await faaso(["deploy", name, "--timeout", "30"], { env });
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Cannot deploy .*: faaso-.* is unhealthy; the old instances keep serving/);
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before);
      assert.equal(await (await timedFetch(url)).text(), "v2");
    });

    await t.step("rollback: to the build before latest, then to v1 under load, losing no request", async () => {
      // latest is the broken v3 that never deployed; the instances run v2.
      const back = await faasoOk(["rollback", name], { env });
      assert.match(back.stdout, new RegExp(`${name}: every instance already runs faaso-${name}:\\d{8}T\\d{6}Z`));
      const load = startLoad(url, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const run = await faaso(["rollback", name, v1], { env });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const report = await load.stop();
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`Rolled ${name} back to faaso-${name}:${v1} .*2 new instances.*2 old ones`));
      assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
      assert.ok((report.bodies.get("v1") ?? 0) > 0, `${[...report.bodies]}`);
      assert.equal(await (await timedFetch(url)).text(), "v1");
      console.log(`rollback under load: ${report.ok} requests, ${report.failed} failed`);
    });

    await t.step(
      "secrets: stored in the data folder for the instances' user only, readable in instances, never printed",
      async () => {
        const value = `local-${crypto.randomUUID()}`;
        const added = await faaso(["secret", "add", name, "db-password"], { env, stdin: value });
        assert.equal(added.code, 0, added.stderr);
        const file = await Deno.stat(join(data, "secrets", name, "db-password"));
        // Root hands the file to the instances' user (uid 10001) and keeps it 0600; anyone else cannot
        // change owners, so the file is 0644 and the data folder above it (0700) keeps other users out.
        const expected = Deno.uid() === 0 ? { uid: 10001, mode: 0o600 } : { uid: Deno.uid(), mode: 0o644 };
        assert.deepEqual({ uid: file.uid, mode: file.mode! & 0o777 }, expected);
        assert.equal((await Deno.stat(data)).mode! & 0o777, 0o700, "the data folder is its owner's only");
        const digest = createHash("sha256").update(value).digest("hex");
        for (const instance of await instancesOf(docker, name)) {
          assert.equal(await (await timedFetch(`http://${instance.address}:3000/secret/db-password`)).text(), digest);
        }
        const listed = await faasoOk(["secret", "ls"], { env });
        assert.match(listed.stdout, new RegExp(`${name}\\s+db-password`));
        for (const output of [added.stdout, added.stderr, listed.stdout]) assert.ok(!output.includes(value));
        const fromFile = join(source.path, "value.txt");
        await Deno.writeTextFile(fromFile, "from a file");
        await faasoOk(["secret", "add", name, "other", "--from-file", fromFile], { env });
        assert.equal(await Deno.readTextFile(join(data, "secrets", name, "other")), "from a file");
        const bad = await faaso(["secret", "add", name, "../escape"], { env, stdin: "x" });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /Secret name \.\.\/escape: use letters, digits/);
        await faasoOk(["secret", "rm", name, "other"], { env });
        assert.deepEqual(JSON.parse((await faasoOk(["secret", "ls", name, "--json"], { env })).stdout), {
          [name]: ["db-password"],
        });
        assert.match(
          added.stdout,
          new RegExp(`in this machine's data folder ${data}\\. Running instances of ${name} see it`),
        );
      },
    );

    await t.step(
      "a secret stored through a server that did not start the instances says they do not see it",
      async () => {
        await using config = await tempFolder();
        const remote = { FAASO_SERVER: server.url, XDG_CONFIG_HOME: config.path };
        await faasoOk(["login"], { env: remote, stdin: "local-test-pw\n" });
        const added = await faasoOk(["secret", "add", name, "db-password"], { env: remote, stdin: "other value" });
        assert.match(
          added.stdout,
          new RegExp(
            `Stored ${name}'s secret db-password \\(11 bytes\\) in the data folder .*server-data of the server ` +
              `${server.url}\\. The 2 running instances of ${name} were started with another secrets store ` +
              `\\(${join(data, "secrets", name)}\\) and do not see it`,
          ),
        );
        const digest = createHash("sha256").update("other value").digest("hex");
        for (const instance of await instancesOf(docker, name)) {
          const read = await (await timedFetch(`http://${instance.address}:3000/secret/db-password`)).text();
          assert.notEqual(read, digest, "the note told the truth: the instance reads the other store");
        }
      },
    );

    await t.step("rm asks about the secrets too and removes them with the funko", async () => {
      const refused = await faaso(["rm", name], { env, stdin: "n\n" });
      assert.match(
        refused.stderr,
        new RegExp(`Remove ${name} from this machine: 2 instances, \\d+ images and 1 secret\\?`),
      );
      const removed = await faasoOk(["rm", name, "--yes"], { env });
      assert.match(
        removed.stdout,
        new RegExp(`Removed ${name}: 2 instances, \\d+ images, 1 secret \\(from this machine's`),
      );
      await assert.rejects(Deno.stat(join(data, "secrets", name)), Deno.errors.NotFound);
      assert.match((await faasoOk(["secret", "ls", name], { env })).stdout, new RegExp(`${name} has no secrets`));
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
