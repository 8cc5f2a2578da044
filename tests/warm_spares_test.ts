/**
 * Warm spares (`scale.warm`) through a real `faaso serve` on the host and the
 * echo fixture: the proxy makes them (started, probed, paused, named
 * `faaso-NAME-spare-xxxxxx`) and never routes to them; under load the
 * autoscaler takes them (a rename and an unpause each, no container created)
 * and makes new ones once the load is gone; a deploy replaces them with spares
 * of the new image; `faaso down` leaves no container behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Instance } from "../core/instances.ts";
import { cleanupFunko, faasoOk, instancesOf, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { type Load, startLoad } from "./load.ts";
import { Admin, answers, echoFunko, EventCounter, get, loginToken } from "./scale_helpers.ts";
import { type HostServer, serve } from "./serve_helpers.ts";

const SETTINGS = "scale: {min: 1, max: 3, warm: 2, window: 6s}\nconcurrency: 2\nhealthcheck:\n  interval: 1s\n";

/** The funko's containers: serving instances and spares, as the engine lists them. */
async function containersOf(docker: Parameters<typeof instancesOf>[0], funko: string) {
  const all = await instancesOf(docker, funko);
  const spares = all.filter((instance) => /-spare-[a-z0-9]{6}$/.test(instance.name));
  return { all, spares, serving: all.filter((instance) => !spares.includes(instance)) };
}

/** Whether the funko runs exactly one serving instance beside two paused spares, all of `imageId` when given. */
function oneAndTwoSpares(
  found: { all: Instance[]; spares: Instance[]; serving: Instance[] },
  imageId?: string,
): boolean {
  return found.serving.length === 1 && found.serving[0]!.state === "running" && found.spares.length === 2 &&
    found.spares.every((spare) => spare.state === "paused") &&
    (imageId === undefined || found.all.every((instance) => instance.imageId === imageId));
}

Deno.test("warm spares: made paused, never routed, taken under load, made again, replaced by a deploy", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-warm");
  const password = crypto.randomUUID();
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: password };
  let server: HostServer | undefined;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step(name, fn)) throw new Error(`Step failed: ${name}`);
  };
  let loads: Load[] = [];
  try {
    const path = await echoFunko(folder.path, name, SETTINGS);
    await faasoOk(["build", path, "-q"]);
    await faasoOk(["up", name]);
    server = await serve(env);
    const admin = new Admin(server.url, password);
    const base = `${server.url}/funko/${name}`;
    await waitUntil(() => answers(`${base}/`), "it answers");

    let spareIds: string[] = [];
    await step("the proxy makes 2 spares, paused, and routes nothing to them", async () => {
      await waitUntil(async () => oneAndTwoSpares(await containersOf(docker, name)), "1 serving + 2 spares", 90_000);
      const found = await containersOf(docker, name);
      spareIds = found.spares.map((spare) => spare.id);
      const answered = new Set<string>();
      for (let i = 0; i < 10; i++) answered.add(await (await get(`${base}/`)).text());
      assert.deepEqual([...answered], [found.serving[0]!.name], "only the serving instance answers");
      const status = await faasoOk(["status", name], {
        env: { FAASO_SERVER: server!.url, FAASO_TOKEN: await loginToken(server!.url, password) },
      });
      assert.match(status.stdout, /1 instance running/);
      assert.equal(status.stdout.match(/\(warm spare\)/g)?.length, 2, status.stdout);
      assert.match(status.stdout, /2 warm spares ready/);
      // The web UI's page of the funko marks them too.
      const page = await fetch(`${server!.url}/admin/funkos/${name}`, {
        headers: { cookie: `faaso_session=${await loginToken(server!.url, password)}` },
      });
      const html = await page.text();
      assert.equal(page.status, 200, html.slice(0, 200));
      assert.equal(html.match(/<\/code> <small class="muted">warm spare<\/small>/g)?.length, 2, html);
      assert.match(html, /2 warm spares ready/);
      assert.match(html, /<dd>1 to 3, 2 warm spares<\/dd>/);
      assert.equal((await admin.funko(name)).scale, 1, "spares count towards no scale");
      // faaso up counts what runs or should, spares aside: nothing to start.
      await faasoOk(["up", name]);
      assert.ok(oneAndTwoSpares(await containersOf(docker, name)), "faaso up started nothing");
    });

    await step("under load the autoscaler takes both spares: renamed and unpaused, no container created", async () => {
      await using events = await EventCounter.start(docker, name);
      const started = Date.now();
      const load = startLoad(`${base}/slow/0.3`, 8);
      loads = [load];
      await waitUntil(
        async () => {
          const { serving, spares } = await containersOf(docker, name);
          return serving.filter((instance) => instance.state === "running").length === 3 && spares.length === 0;
        },
        "3 serving",
        60_000,
      );
      const routed = async () => (await admin.get<Record<string, { ready: boolean }[]>>("/routes"))[name] ?? [];
      await waitUntil(async () => (await routed()).filter((route) => route.ready).length === 3, "3 routed", 30_000);
      console.log(`3 instances routed ${Date.now() - started} ms after the load began`);
      const { serving } = await containersOf(docker, name);
      for (const id of spareIds) {
        const taken = serving.find((instance) => instance.id === id);
        assert.ok(taken, `spare ${id.slice(0, 12)} serves`);
        assert.match(taken.name, new RegExp(`^faaso-${name}-[a-z0-9]{6}$`));
      }
      assert.equal(events.count("create"), 0, "no container was created");
      assert.equal(events.count("rename"), 2);
      assert.equal(events.count("unpause"), 2);
      // Both taken spares answer, under their new names (their FAASO_INSTANCE).
      const answered = new Set(load.report.bodies.keys());
      for (const id of spareIds) {
        const instance = serving.find((candidate) => candidate.id === id)!;
        await waitUntil(
          async () => {
            for (let i = 0; i < 6; i++) answered.add(await (await get(`${base}/`)).text());
            return answered.has(instance.name);
          },
          `${instance.name} answers`,
          30_000,
        );
      }
      assert.equal(load.report.failed, 0, load.report.failures.join("\n"));
    });

    await step("the load stops: back to 1 instance, and 2 new spares", async () => {
      const report = await loads[0]!.stop();
      assert.equal(report.failed, 0, report.failures.join("\n"));
      await waitUntil(async () => oneAndTwoSpares(await containersOf(docker, name)), "1 + 2 spares", 120_000);
      const { spares } = await containersOf(docker, name);
      assert.ok(spares.every((spare) => !spareIds.includes(spare.id)), "new spares");
    });

    await step("a deploy replaces the spares with spares of the new image", async () => {
      await echoFunko(folder.path, name, `${SETTINGS}env:\n  BUILD: "2"\n`);
      await faasoOk(["build", path, "-q"]);
      const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
      await faasoOk(["deploy", name]);
      await waitUntil(
        async () => oneAndTwoSpares(await containersOf(docker, name), image!.Id),
        "1 + 2 spares of the new image",
        120_000,
      );
    });

    await step("faaso down leaves no container, and none comes back", async () => {
      await faasoOk(["down", name]);
      assert.deepEqual((await instancesOf(docker, name)).map((instance) => instance.name), []);
      await new Promise((resolve) => setTimeout(resolve, 4000));
      assert.deepEqual((await instancesOf(docker, name)).map((instance) => instance.name), []);
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

Deno.test("warm spares of a funko that sleeps: paused with it, kept while paused, removed when it stops", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-warmz");
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: crypto.randomUUID() };
  const settings = "scale: {min: 0, max: 2, warm: 1}\nidle: {pause_after: 3s, stop_after: 6s}\n" +
    "healthcheck:\n  interval: 1s\n";
  let server: HostServer | undefined;
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step(name, fn)) throw new Error(`Step failed: ${name}`);
  };
  const states = async () => {
    const { serving, spares } = await containersOf(docker, name);
    return { serving: serving.map((i) => i.state).sort(), spares: spares.map((i) => i.state).sort() };
  };
  try {
    await faasoOk(["build", await echoFunko(folder.path, name, settings), "-q"]);
    await faasoOk(["up", name]);
    server = await serve(env);
    const base = `${server.url}/funko/${name}`;
    await waitUntil(() => answers(`${base}/`), "it answers");
    let servingName = "";
    await step("idle: the instance is paused beside its paused spare", async () => {
      await waitUntil(async () => (await containersOf(docker, name)).spares.length === 1, "a spare", 60_000);
      await waitUntil(
        async () => {
          const now = await states();
          return now.serving.join() === "paused" && now.spares.join() === "paused";
        },
        "the instance paused",
        30_000,
      );
      servingName = (await containersOf(docker, name)).serving[0]!.name;
    });
    await step("a request wakes the instance, not the spare", async () => {
      const response = await get(`${base}/`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), servingName);
      assert.deepEqual(await states(), { serving: ["running"], spares: ["paused"] });
    });
    await step("idle again, then stopped: the instance is kept stopped, the spare removed", async () => {
      await waitUntil(
        async () => {
          const now = await states();
          return now.serving.join() === "exited" && now.spares.length === 0;
        },
        "stopped, no spare",
        60_000,
      );
      const response = await get(`${base}/`);
      assert.equal(response.status, 200, "a request wakes it from stopped");
      assert.equal(await response.text(), servingName);
    });
  } catch (error) {
    if (server) console.error(`faaso serve said:\n${server.lines.join("\n")}`);
    throw error;
  } finally {
    await server?.stop();
    await cleanupFunko(docker, name);
  }
});
