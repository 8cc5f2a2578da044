/**
 * `faaso up` and `faaso scale` wait for new instances as a deploy does: they
 * return once the instances are healthy, and an instance that crashes or
 * turns unhealthy fails the command with its last lines, leaving nothing of
 * the attempt behind (local mode; remote mode in deploy_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, instancesOf, ROOT, tempFolder, testDocker, uniqueName } from "./helpers.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");

Deno.test("up and scale wait for healthy instances and refuse ones that crash or are unhealthy", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  const name = uniqueName("it-start");
  const folder = join(source.path, "funko");
  const env = { FAASO_DATA: join(source.path, "data") };
  const write = (extra = "", health = "") =>
    Deno.writeTextFile(
      join(folder, "funko.yml"),
      `name: ${name}\nruntime: deno\nenv:\n  ECHO_VERSION: v1\n${extra}healthcheck:\n  interval: 1s\n${health}`,
    );
  await Deno.mkdir(folder);
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  try {
    await t.step("up returns once the instance is healthy", async () => {
      await write();
      await faasoOk(["build", folder, "-q"], { env });
      const up = await faaso(["up", name], { env });
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /Waiting for faaso-.* to become healthy/);
      const instances = await instancesOf(docker, name);
      assert.equal(instances.length, 1);
      assert.equal(instances[0]?.health, "healthy", "healthy when up returns, not starting");
    });

    await t.step("scale returns once the new instances are healthy", async () => {
      await faasoOk(["scale", name, "3"], { env });
      const instances = await instancesOf(docker, name);
      assert.deepEqual(instances.map((i) => i.health), ["healthy", "healthy", "healthy"]);
      await faasoOk(["scale", name, "2"], { env });
    });

    await t.step("a scale-up whose instance crashes fails with its last lines; the running ones stay", async () => {
      const before = (await instancesOf(docker, name)).map((i) => i.id).sort();
      await write("  ECHO_CRASH_AT_START: 'yes'\n");
      await faasoOk(["build", folder, "-q"], { env });
      const run = await faaso(["scale", name, "3"], { env });
      assert.equal(run.code, 1, run.stdout);
      assert.match(
        run.stderr,
        new RegExp(
          `Cannot start ${name}: faaso-${name}-\\w+ crashed.*, so it was removed; ` +
            "the 2 instances that ran before keep running",
        ),
      );
      assert.match(run.stderr, /last lines of faaso-/);
      assert.match(run.stderr, /crashes at start on purpose/, "the instance's own output");
      assert.ok(!run.stderr.includes("\x1b["), "without the app's colour codes");
      assert.deepEqual((await instancesOf(docker, name)).map((i) => i.id).sort(), before);
    });

    await t.step("up of a funko that crashes exits 1 and leaves no instance", async () => {
      await faasoOk(["down", name], { env });
      const run = await faaso(["up", name], { env });
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, new RegExp(`Cannot start ${name}: faaso-${name}-\\w+ crashed.*, so it was removed\\n`));
      assert.doesNotMatch(run.stdout, /running/);
      assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
    });

    await t.step("up of a funko whose healthcheck fails exits 1 naming it unhealthy", async () => {
      await write("", "  command: exit 1\n  retries: 1\n  start_period: 1ms\n");
      await faasoOk(["build", folder, "-q"], { env });
      const run = await faaso(["up", name, "--timeout", "60"], { env });
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, new RegExp(`Cannot start ${name}: faaso-${name}-\\w+ is unhealthy, so it was removed`));
      assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
    });

    await t.step("--no-wait returns at once, as before", async () => {
      const run = await faaso(["up", name, "--no-wait"], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /Waiting for/);
      assert.equal((await instancesOf(docker, name)).length, 1);
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
