/**
 * The whole local lifecycle, for each runtime that can be built here: new,
 * build, up, HTTP at the instance, scale 1 -> 3 -> 1, logs, SIGTERM drain
 * (docker stop, faaso down), rm. tests/crystal_test.ts does the same for crystal.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cleanupFunko,
  faaso,
  faasoOk,
  fileTimeLimit,
  instancesOf,
  runCommand,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 30 });

/**
 * Each runtime's template, the file a user edits, and a route added to it as a user would: GET /slow/SECONDS
 * prints "slow begun" when it starts and answers "slow done" SECONDS later (the drain steps keep it in flight).
 */
const RUNTIMES = [
  {
    runtime: "deno",
    hello: "Hello World Deno!",
    code: "funko.ts",
    end: "export default app;",
    slowRoute: `app.get("/slow/:seconds", async (c) => {
  console.log("slow begun");
  await new Promise((resolve) => setTimeout(resolve, Number(c.req.param("seconds")) * 1000));
  return c.text("slow done");
});
`,
  },
  {
    runtime: "node",
    hello: "Hello World Node!",
    code: "funko.js",
    end: "module.exports = router;",
    slowRoute: `router.get("/slow/:seconds", (req, res) => {
  console.log("slow begun");
  setTimeout(() => res.type("text/plain").send("slow done"), Number(req.params.seconds) * 1000);
});
`,
  },
  {
    runtime: "python",
    hello: "Hello World Python!",
    code: "funko.py",
    end: "",
    slowRoute: `
import time


@bp.get("/slow/<int:seconds>")
def slow(seconds):
    print("slow begun", flush=True)
    time.sleep(seconds)
    return "slow done", 200, {"Content-Type": "text/plain; charset=utf-8"}
`,
  },
];

/** Longer than any grace a runtime might give itself (node's was 5 s), well inside the stop timeouts below. */
const SLOW_SECONDS = 7;

/** Waits until `count` requests to /slow have begun in the container (its output says so). */
async function slowBegun(id: string, count = 1): Promise<void> {
  await waitUntil(async () => {
    const logs = await runCommand("docker", ["logs", id], { timeoutMs: 10_000 });
    return (logs.stdout.match(/slow begun/g) ?? []).length >= count;
  }, `${count} request(s) to /slow to begin in ${id}`);
}

for (const { runtime, hello, code, end, slowRoute } of RUNTIMES) {
  Deno.test(`${runtime} funko: new, build, up, answer, scale, logs, rm`, async (t) => {
    await using folder = await tempFolder();
    using docker = testDocker();
    const name = uniqueName(`it-${runtime}`);
    try {
      await t.step("new writes a funko folder", async () => {
        const run = await faasoOk(["new", "-r", runtime, name], { cwd: folder.path });
        assert.match(run.stdout, new RegExp(`Created ${name}/`));
        const manifest = await Deno.readTextFile(join(folder.path, name, "funko.yml"));
        assert.match(manifest, new RegExp(`name: ${name}`));
        assert.match(manifest, new RegExp(`runtime: ${runtime}`));
        const file = join(folder.path, name, code);
        const text = await Deno.readTextFile(file);
        assert.ok(text.includes(end), `${code} ends with ${end}`);
        await Deno.writeTextFile(file, end ? text.replace(end, `${slowRoute}\n${end}`) : text + slowRoute);
      });

      await t.step("build tags latest and a timestamp, with labels", async () => {
        const run = await faasoOk(["build", name], { cwd: folder.path });
        assert.match(run.stdout, new RegExp(`Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest`));
        const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
        assert.ok(image, "faaso-NAME:latest exists");
        assert.equal(image.Config.Labels?.["faaso.funko"], name);
        assert.equal(image.Config.Labels?.["faaso.runtime"], runtime);
        assert.match(image.Config.Labels?.["faaso.source-hash"] ?? "", /^[0-9a-f]{64}$/);
        assert.ok(image.RepoTags.some((tag) => /:\d{8}T\d{6}Z$/.test(tag)), `timestamp tag in ${image.RepoTags}`);
        assert.ok(image.Config.Healthcheck?.Test?.length, "the image declares a HEALTHCHECK");
        // A build stage is tagged beside its build (it is the next build's cache), never left <none>.
        const stamp = image.RepoTags.find((tag) => /:\d{8}T\d{6}Z$/.test(tag))!.split(":")[1];
        const tags = (await docker.images.list({ reference: [`faaso-${name}`] })).flatMap((i) => i.RepoTags ?? []);
        if (runtime === "node") assert.ok(tags.includes(`faaso-${name}:${stamp}-build`), `stage tag in ${tags}`);
        else assert.equal(tags.length, 2, `only the build's tags: ${tags}`);
        const untagged = await docker.images.list({ dangling: ["true"], label: [`faaso.build-stage=${name}`] });
        assert.equal(untagged.length, 0, "no untagged build stage");
      });

      await t.step("up starts one instance that answers / and /ping", async () => {
        await faasoOk(["up", name]);
        const instances = await instancesOf(docker, name);
        assert.equal(instances.length, 1);
        const [instance] = instances;
        assert.equal(instance?.state, "running");
        assert.match(instance?.name ?? "", new RegExp(`^faaso-${name}-[a-z0-9]{6}$`));
        const inspect = await docker.containers.inspectOrNull(instance!.id);
        assert.equal(inspect?.Config.Hostname, name);
        assert.equal(inspect?.HostConfig.RestartPolicy?.Name, "always");
        const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
        assert.ok(image?.Config.User && image.Config.User !== "root" && image.Config.User !== "0", "runs as non-root");
        const base = `http://${instance!.address}:3000`;
        assert.equal(await waitForHttp(`${base}/`), hello);
        assert.equal(await waitForHttp(`${base}/ping`), "OK");
      });

      await t.step("up again keeps the one instance", async () => {
        await faasoOk(["up", name]);
        assert.equal((await instancesOf(docker, name)).length, 1);
      });

      await t.step("scale 3 then 1: the containers follow", async () => {
        await faasoOk(["scale", name, "3"]);
        const three = await instancesOf(docker, name);
        assert.equal(three.filter((i) => i.state === "running").length, 3);
        assert.equal((await faasoOk(["scale", name])).stdout.trim(), "3");
        for (const instance of three) {
          assert.equal(await waitForHttp(`http://${instance.address}:3000/`), hello);
        }
        await faasoOk(["scale", name, "1"]);
        const one = await instancesOf(docker, name);
        assert.equal(one.length, 1);
        assert.equal(one[0]?.state, "running");
      });

      await t.step("logs shows the startup line of each instance", async () => {
        await faasoOk(["scale", name, "2"]);
        const instances = await instancesOf(docker, name);
        for (const instance of instances) await waitForHttp(`http://${instance.address}:3000/ping`);
        const run = await faasoOk(["logs", name]);
        for (const instance of instances) {
          assert.match(
            run.stdout,
            new RegExp(`^${instance.name} \\| .*${name} \\(${runtime}\\) listening on port 3000`, "m"),
          );
        }
        const tail = await faasoOk(["logs", name, "--tail", "1"]);
        assert.equal(tail.stdout.trim().split("\n").length, 2, "one line per instance");
      });

      await t.step("the healthcheck turns the instance healthy", async () => {
        await waitUntil(
          async () => (await instancesOf(docker, name)).every((i) => i.health === "healthy"),
          `${name}'s instances to become healthy`,
          60_000,
        );
        const run = await faasoOk(["status", name, "--json"]);
        const status = JSON.parse(run.stdout);
        assert.equal(status.name, name);
        assert.equal(status.scale, 2);
        assert.ok(
          status.instances.every((i: { health: string; outOfDate: boolean }) => i.health === "healthy" && !i.outOfDate),
        );
      });

      await t.step(
        `SIGTERM (docker stop): a ${SLOW_SECONDS} s request in flight is answered, then exit 0`,
        async () => {
          const [instance] = (await instancesOf(docker, name)).filter((i) => i.state === "running");
          const url = `http://${instance!.address}:3000/slow/${SLOW_SECONDS}`;
          const slow = timedFetch(url, { timeoutMs: 30_000 }).then(async (r) => ({
            status: r.status,
            body: await r.text(),
          }))
            .catch((error) => ({ status: 0, body: String(error) }));
          await slowBegun(instance!.id);
          const started = performance.now();
          await docker.containers.stop(instance!.id, 25);
          const stopSeconds = (performance.now() - started) / 1000;
          assert.deepEqual(await slow, { status: 200, body: "slow done" }, "the request in flight was answered");
          const state = (await docker.containers.inspectOrNull(instance!.id))?.State;
          assert.equal(state?.ExitCode, 0, "a clean exit, not the engine's SIGKILL (137)");
          assert.ok(
            stopSeconds < SLOW_SECONDS + 5,
            `stopped once the request was done, not at the timeout (${stopSeconds} s)`,
          );
        },
      );

      await t.step("down removes every instance, and the request in flight is answered first", async () => {
        const [instance] = (await instancesOf(docker, name)).filter((i) => i.state === "running");
        const slow = timedFetch(`http://${instance!.address}:3000/slow/${SLOW_SECONDS}`, { timeoutMs: 30_000 })
          .then(async (r) => ({ status: r.status, body: await r.text() }))
          .catch((error) => ({ status: 0, body: String(error) }));
        await slowBegun(instance!.id);
        await faasoOk(["down", name]);
        assert.deepEqual(await slow, { status: 200, body: "slow done" }, "the request in flight was answered");
        assert.equal((await instancesOf(docker, name)).length, 0);
      });

      await t.step("rm --yes leaves no container or image of the funko", async () => {
        await faasoOk(["up", name]);
        const run = await faasoOk(["rm", name, "--yes"]);
        assert.match(run.stdout, new RegExp(`Removed ${name}`));
        assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
        assert.equal((await docker.images.list({ reference: [`faaso-${name}`] })).length, 0);
        assert.equal((await docker.images.list({ label: [`faaso.funko=${name}`] })).length, 0);
        assert.equal((await docker.images.list({ label: [`faaso.build-stage=${name}`] })).length, 0, "no stage");
        const again = await faaso(["status", name]);
        assert.equal(again.code, 1);
        assert.match(again.stderr, new RegExp(`No funko named ${name}`));
      });
    } finally {
      await cleanupFunko(docker, name);
    }
  });
}

Deno.test("node funko: a syntax error fails the build and names it, as deno and python do", async () => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-node-syntax");
  try {
    await faasoOk(["new", "-r", "node", name], { cwd: folder.path });
    await Deno.writeTextFile(
      join(folder.path, name, "funko.js"),
      'const router = require("express").Router();\nrouter.get("/", (req, res) => res.send("hi");\nmodule.exports = router;\n',
    );
    const run = await faaso(["build", name, "-q"], { cwd: folder.path });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Cannot build .*node --check/);
    assert.match(run.stderr, /funko\.js:2\n[\s\S]*SyntaxError: missing \) after argument list/);
    assert.equal(await docker.images.inspectOrNull(`faaso-${name}:latest`), null, "no image");
  } finally {
    await cleanupFunko(docker, name);
  }
});
