/**
 * Deploys and secrets in local mode (the CLI does the work itself) while a
 * separate `faaso serve` on the host carries a steady load: the proxy learns
 * of the change only from the engine's events, which reach it through a relay
 * that the test cuts once (the proxy reconnects and resyncs). Also: the first
 * request after `up --no-wait`, deploys that fail every way, draining on
 * scale-down, `--upstream-timeout`, `logs -f`.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  cleanupFunko,
  faaso,
  faasoFollow,
  faasoOk,
  fileTimeLimit,
  instancesOf,
  ROOT,
  runCommand,
  socketPath,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitUntil,
} from "./helpers.ts";
import { type LoadReport, startLoad, startLongLoad } from "./load.ts";
import { serve } from "./serve_helpers.ts";
import { startSocketRelay } from "./socket_relay.ts";

fileTimeLimit(import.meta.url, { minutes: 14 });

function failures(report: LoadReport): string {
  return `${report.failed} failed: ${report.failures.join(" | ")}`;
}

const ECHO = join(ROOT, "tests", "fixtures", "echo");

Deno.test("local mode: a cold start, deploys under load, broken ones, draining, events cut, secrets", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  const name = uniqueName("it-local");
  const data = join(source.path, "data");
  const env = { FAASO_DATA: data };
  const write = (version: string, health = "  interval: 1s\n", moreEnv = "") =>
    Deno.writeTextFile(
      join(source.path, "funko", "funko.yml"),
      `name: ${name}\nruntime: deno\nscale: 2\ndrain: 3s\nenv:\n  ECHO_VERSION: ${version}\n${moreEnv}` +
        `healthcheck:\n${health}`,
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
    // The server reaches the engine through a relay the test can cut.
    await using relay = await startSocketRelay(socketPath());
    await using server = await serve(
      { FAASO_DATA: join(source.path, "server-data"), FAASO_PASSWORD: "local-test-pw", DOCKER_HOST: relay.host },
      ["--upstream-timeout", "5"],
    );
    const base = `${server.url}/funko/${name}`;
    const url = `${base}/version`;

    await t.step("a request right after up --no-wait waits for the cold start and gets 200", async () => {
      const up = await faaso(["up", name, "--no-wait"], { env });
      assert.equal(up.code, 0, up.stderr);
      const response = await timedFetch(url);
      assert.deepEqual([response.status, await response.text()], [200, "v1"]);
    });

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

    await t.step("a deploy whose instances turn unhealthy is rolled back under load, naming the reason", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await write("v3", "  interval: 1s\n  command: exit 1\n  retries: 1\n  start_period: 1ms\n");
      await faasoOk(["build", "funko", "-q"], { cwd: source.path, env });
      const load = startLoad(url, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const run = await faaso(["deploy", name, "--timeout", "30"], { env });
      const report = await load.stop();
      assert.equal(run.code, 1);
      assert.match(run.stderr, /Cannot deploy .*: faaso-.* is unhealthy; the old instances keep serving/);
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before);
      assert.equal(report.failed, 0, failures(report));
      assert.deepEqual([...report.bodies.keys()], ["v2"], "only the old version answered");
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
      "deploys that crash or run out of --timeout fail under load, and the old instances serve on",
      async () => {
        const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
        const load = startLoad(url, 20);
        await waitUntil(() => Promise.resolve(load.report.ok > 100), "the load to run");
        await write("v4", undefined, "  ECHO_CRASH_AT_START: 'yes'\n");
        await faasoOk(["build", "funko", "-q"], { cwd: source.path, env });
        const crashed = await faaso(["deploy", name, "--timeout", "60"], { env });
        assert.equal(crashed.code, 1);
        assert.match(crashed.stderr, /Cannot deploy .*: faaso-\S+ crashed .*; the old instances keep serving/);
        assert.match(crashed.stderr, /crashes at start on purpose/, "the failing instance's own output");
        // Docker's first check comes only after a whole interval: 30 s, long after the 3 s.
        await write("v5", "  interval: 30s\n");
        await faasoOk(["build", "funko", "-q"], { cwd: source.path, env });
        const late = await faaso(["deploy", name, "--timeout", "3"], { env });
        const report = await load.stop();
        assert.equal(late.code, 1);
        assert.match(
          late.stderr,
          /Cannot deploy .*: faaso-\S+ did not become healthy in 3 s.*; the old instances keep/,
        );
        assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before);
        assert.equal(report.failed, 0, failures(report));
        assert.deepEqual([...report.bodies.keys()], ["v1"], "only the old version answered");
        // latest names the slow v5 now: the next steps' scale-ups start v1 again (an unchanged rebuild moves latest).
        await write("v1");
        await faasoOk(["build", "funko", "-q"], { cwd: source.path, env });
      },
    );

    await t.step("scaling down lets long requests and event streams in flight finish", async () => {
      const long = startLongLoad(base);
      await waitUntil(() => Promise.resolve(long.report.ok > 20), "the long requests to run");
      await faasoOk(["scale", name, "1"], { env });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const report = await long.stop();
      assert.equal(report.failed, 0, failures(report));
      assert.equal((await instancesOf(docker, name)).length, 1);
      await faasoOk(["scale", name, "2"], { env });
    });

    await t.step("--upstream-timeout: an answer slower than it gets 504", async () => {
      const slow = await timedFetch(`${base}/slow/7`);
      const body = await slow.json();
      assert.equal(slow.status, 504);
      assert.equal(body.error.message, `Funko ${name} did not answer in 5000 ms`);
      // The flag's default comes from FAASO_UPSTREAM_TIMEOUT: a bad value of either is refused before anything starts.
      for (
        const [args, variables] of [[["--upstream-timeout", "soon"], {}], [[], { FAASO_UPSTREAM_TIMEOUT: "soon" }]]
      ) {
        const bad = await faaso(["serve", ...args as string[]], {
          env: { FAASO_DATA: join(source.path, "never-made"), ...variables as Record<string, string> },
        });
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /--upstream-timeout soon: use a number of seconds/);
      }
    });

    await t.step("logs -f follows every instance's new lines until stopped", async () => {
      await using follow = faasoFollow(["logs", name, "-f", "--tail", "0"], { env });
      const tag = crypto.randomUUID().slice(0, 8);
      await waitUntil(async () => {
        // Until the follower is attached, the lines it would see are before its start.
        for (const instance of await instancesOf(docker, name)) {
          await (await timedFetch(`http://${instance.address}:3000/say/${tag}`)).text();
        }
        return follow.lines.length > 0;
      }, "the follower to get a line");
      for (const instance of await instancesOf(docker, name)) {
        await follow.waitFor(new RegExp(`^${instance.name} \\| said: ${tag}$`));
      }
      const run = await follow.stop();
      assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, "no stack trace");
    });

    await t.step(
      "the proxy's event stream breaks: it reconnects, resyncs, and routes to what changed meanwhile",
      async () => {
        const before = (await instancesOf(docker, name)).map((i) => i.name);
        // Cut, then keep refusing while a new instance starts and an old one goes: the events of both are missed.
        relay.cut();
        try {
          await faasoOk(["scale", name, "3"], { env });
          const [gone] = before;
          await runCommand("docker", ["rm", "-f", (await instancesOf(docker, name)).find((i) => i.name === gone)!.id]);
        } finally {
          relay.restore();
        }
        assert.ok(relay.cutConnections > 0, "the server's connections were cut");
        const now = (await instancesOf(docker, name)).map((i) => i.name).sort();
        assert.equal(now.length, 2);
        const answered = new Set<string>();
        await waitUntil(
          async () => {
            const response = await timedFetch(`${base}/`);
            assert.equal(response.status, 200, `${response.status} ${await response.clone().text()}`);
            answered.add(await response.text());
            return answered.size >= now.length;
          },
          "both instances to answer through the proxy",
          20_000,
        );
        assert.deepEqual([...answered].sort(), now, "the new instance is routed, the removed one is not");
        assert.ok(
          // A warning, on stderr.
          server.errorLines.some((line) => /event stream ended|Cannot follow the Docker engine's events/.test(line)),
          `the server said it lost the stream:\n${server.errorLines.join("\n")}`,
        );
      },
    );

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
        for (const instance of await instancesOf(docker, name)) {
          const write = await runCommand("docker", ["exec", "-u", "0", instance.id, "touch", "/secrets/written"]);
          assert.match(write.stderr, /Read-only file system/, `${instance.name} mounts /secrets read-only`);
        }
        // A new value replaces the old one, and running instances read it at once.
        const replaced = await faaso(["secret", "add", name, "db-password"], { env, stdin: `${value}-2` });
        assert.equal(replaced.code, 0, replaced.stderr);
        assert.ok(!(replaced.stdout + replaced.stderr).includes(value), "the new value is not printed either");
        const newDigest = createHash("sha256").update(`${value}-2`).digest("hex");
        for (const instance of await instancesOf(docker, name)) {
          assert.equal(
            await (await timedFetch(`http://${instance.address}:3000/secret/db-password`)).text(),
            newDigest,
          );
        }
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
