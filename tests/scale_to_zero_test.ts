/**
 * Scale to zero through a real `faaso serve` on the host and a real funko
 * (the echo fixture) with short timers: idle -> paused -> stopped (and the
 * keeper leaves it stopped), requests in flight keep it awake (a long
 * request, a stream, an open WebSocket), a burst of 200 gets one unpause,
 * requests during the pause call are answered, a connection made to a
 * paused instance is not lost, docker unpause by hand is noticed, faaso
 * sleep and wake (remote and local), an async call wakes it, a proxy restart while asleep, and
 * min >= 1 never sleeps.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, instancesOf, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { Admin, answers, echoFunko, EventCounter, get, statesOf } from "./scale_helpers.ts";
import { type HostServer, serve } from "./serve_helpers.ts";

const SETTINGS = "scale: {min: 0, max: 1}\nidle: {pause_after: 3s, stop_after: 6s}\nhold: {timeout: 60s}\n" +
  "healthcheck:\n  interval: 1s\n";

Deno.test("scale to zero: sleep when idle, wake on request, nothing lost", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-sleep");
  const steady = uniqueName("it-steady");
  const password = crypto.randomUUID();
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: password, FAASO_UPSTREAM_TIMEOUT: "10" };
  const remote = { XDG_CONFIG_HOME: join(folder.path, "config") };
  let server: HostServer | undefined;
  // Each step builds on the state the one before left: stop at the first that fails.
  const step = async (name: string, fn: () => Promise<void>) => {
    if (!await t.step(name, fn)) throw new Error(`Step failed: ${name}`);
  };
  let admin: Admin | undefined;
  const url = (path = "/") => `${server!.url}/funko/${name}${path}`;
  const states = () => statesOf(docker, name);
  const statesAre = (...expected: string[]) => async () => (await states()).join() === expected.join();
  const activity = async () => (await admin!.funko(name)).activity!;
  const start = async () => {
    server = await serve(env);
    admin = new Admin(server.url, password);
    await faasoOk(["login", "--server", server.url], { env: remote, stdin: `${password}\n` });
  };
  try {
    await faasoOk(["build", await echoFunko(folder.path, name, SETTINGS), "-q"]);
    await faasoOk(["up", name]);
    await start();

    await step(
      "idle: paused after pause_after, stopped after stop_after more; the keeper leaves it stopped",
      async () => {
        assert.equal(await (await get(url())).text(), (await instancesOf(docker, name))[0]!.name);
        await waitUntil(statesAre("paused"), "paused after 3 s without a request", 20_000);
        assert.equal((await activity()).state, "paused");
        const record = JSON.parse(await Deno.readTextFile(join(env.FAASO_DATA, "sleep.json")));
        assert.equal(record[name].depth, "paused");
        await waitUntil(statesAre("exited"), "stopped 6 s later", 30_000);
        const stopped = await activity();
        assert.equal(stopped.state, "stopped");
        assert.ok(stopped.lastRequest, "the last request is known");
        const status = await faasoOk(["status", name], { env: remote });
        assert.match(status.stdout, /1 instance stopped/);
        assert.match(status.stdout, /stopped since .*; last request .* ago/);
        assert.match(status.stdout, /scaling: autoscaled 0 to 1 .*; paused after 3s idle, stopped after 6s more/);
        // The keeper starts instances that stay stopped for 10 s, except a sleeping funko's.
        await new Promise((resolve) => setTimeout(resolve, 12_000));
        assert.deepEqual(await states(), ["exited"]);
        const response = await get(url());
        assert.equal(response.status, 200, await response.text());
        assert.deepEqual(await states(), ["running"]);
        assert.equal((await activity()).state, "awake");
        assert.deepEqual(JSON.parse(await Deno.readTextFile(join(env.FAASO_DATA, "sleep.json"))), {});
      },
    );

    await step("a long request, a stream and an open WebSocket keep it awake; it sleeps once they end", async () => {
      const stayedAwake = async (work: Promise<unknown>, ms: number) => {
        const until = Date.now() + ms;
        while (Date.now() < until) {
          assert.deepEqual(await states(), ["running"], "asleep while a request was in flight");
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        await work;
      };
      const slow = get(url("/slow/5")).then(async (response) => assert.equal(await response.text(), "slow"));
      await stayedAwake(slow, 5000);
      const stream = await get(url("/hold/keep"));
      const reader = stream.body!.getReader();
      const reading = (async () => {
        while (!(await reader.read()).done) { /* dots */ }
      })().catch(() => {});
      await stayedAwake(Promise.resolve(), 4500);
      await reader.cancel();
      await reading;
      const socket = new WebSocket(`${url("/ws").replace("http", "ws")}`);
      const messages: string[] = [];
      socket.onmessage = (event) => messages.push(String(event.data));
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("WebSocket error"));
      });
      await stayedAwake(Promise.resolve(), 4500);
      socket.send("still here");
      await waitUntil(() => Promise.resolve(messages.includes("echo: still here")), "the echo", 5000);
      socket.close();
      await waitUntil(statesAre("paused"), "paused once the socket closed", 20_000);
    });

    await step("a burst of 200 requests on a paused funko: all 200, one unpause", async () => {
      await using events = await EventCounter.start(docker, name);
      const answers = await Promise.all(
        Array.from({ length: 200 }, () => get(url()).then(async (r) => `${r.status} ${await r.text()}`)),
      );
      const statuses = new Map<string, number>();
      for (const answer of answers) statuses.set(answer.slice(0, 3), (statuses.get(answer.slice(0, 3)) ?? 0) + 1);
      assert.deepEqual([...statuses], [["200", 200]], answers.find((a) => !a.startsWith("200")));
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(events.count("unpause"), 1, `engine events: ${JSON.stringify([...events.counts])}`);
      assert.equal(events.count("start"), 0);
      // The metrics count wakes and their duration (issue 16): this one and the first step's.
      const token = (await Deno.readTextFile(join(env.FAASO_DATA, "metrics-token"))).trim();
      const scrape = await fetch(`${server!.url}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await scrape.text();
      const wakes = Number(text.match(new RegExp(`^faaso_wakes_total\\{funko="${name}"\\} (\\d+)`, "m"))?.[1]);
      assert.ok(wakes >= 2, `faaso_wakes_total for ${name}: ${wakes}`);
      assert.match(text, new RegExp(`^faaso_wake_duration_seconds_count\\{funko="${name}"\\} ${wakes}$`, "m"));
    });

    await step("requests that arrive while the pause call runs are answered", async () => {
      await using events = await EventCounter.start(docker, name);
      for (let round = 0; round < 5; round++) {
        // A request that came just before the pause is answered first, and then nothing wakes it: wake it here.
        await admin!.post(`/funkos/${name}/wake`);
        const sleeping = admin!.post(`/funkos/${name}/sleep`);
        // Sent while the server pauses the instance: held, then it wakes the funko.
        await new Promise((resolve) => setTimeout(resolve, round * 5));
        const started = Date.now();
        const response = await get(url());
        const body = await response.text();
        assert.equal(response.status, 200, `round ${round}: ${body}`);
        assert.ok(Date.now() - started < 8000, `round ${round} took ${Date.now() - started} ms`);
        await sleeping;
      }
      assert.ok(events.count("pause") >= 5, `engine events: ${JSON.stringify([...events.counts])}`);
    });

    await step("a connection made straight to a paused instance waits and is answered after the wake", async () => {
      await admin!.post(`/funkos/${name}/sleep`);
      await waitUntil(statesAre("paused"), "paused", 10_000);
      const [paused] = await instancesOf(docker, name);
      const direct = fetch(`http://${paused!.address}:3000/`, { signal: AbortSignal.timeout(20_000) })
        .then((response) => response.text());
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await get(url())).status, 200);
      assert.equal(await direct, paused!.name);
    });

    await step("docker unpause by hand is noticed: awake, and no wake needed", async () => {
      const slept = await faasoOk(["sleep", name], { env: remote });
      assert.match(slept.stdout, new RegExp(`${name} sleeps \\(paused\\): 1 instance paused`));
      const [paused] = await instancesOf(docker, name);
      await docker.containers.unpause(paused!.id);
      await waitUntil(async () => (await activity()).state === "awake", "the proxy saw the unpause", 10_000);
      await using events = await EventCounter.start(docker, name);
      assert.equal((await get(url())).status, 200);
      assert.equal(events.count("unpause") + events.count("start"), 0);
    });

    await step("faaso sleep --stop and faaso wake, through the server and on this machine", async () => {
      const stopped = await faasoOk(["sleep", name, "--stop"], { env: remote });
      assert.match(stopped.stdout, new RegExp(`${name} sleeps \\(stopped\\)`));
      assert.deepEqual(await states(), ["exited"]);
      const woken = await faasoOk(["wake", name], { env: remote });
      assert.match(woken.stdout, new RegExp(`${name} is awake: faaso-${name}-`));
      assert.deepEqual(await states(), ["running"]);
      const local = { ...env, XDG_CONFIG_HOME: remote.XDG_CONFIG_HOME };
      assert.match((await faasoOk(["sleep", name, "-l"], { env: local })).stdout, /sleeps \(paused\)/);
      const alone = await faasoOk(["status", name, "-l"], { env: { ...local, FAASO_URL: "http://127.0.0.1:9" } });
      // On a slow machine the server's own timers (3 s, 6 s more) can stop it between two CLI runs.
      assert.match(alone.stdout, /1 instance (paused|stopped)/);
      assert.match(alone.stdout, /no faaso serve answers on this machine: nothing sleeps or autoscales by itself/);
      const watched = await faasoOk(["status", name, "-l"], { env: { ...local, FAASO_URL: server!.url } });
      assert.match(watched.stdout, /a faaso serve answers on this machine/);
      // The server saw the pause from outside: a request wakes the funko.
      await waitUntil(async () => (await activity()).state !== "awake", "the server saw the pause", 10_000);
      assert.match((await faasoOk(["wake", name, "-l"], { env: local })).stdout, /is awake/);
      await waitUntil(async () => (await activity()).state === "awake", "the server saw the wake", 10_000);
      const bad = await faaso(["sleep", "no-such-funko-i15", "-l"], { env: local });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /Cannot put no-such-funko-i15 to sleep: it has no instances/);
    });

    await step("an async call to a sleeping funko wakes it and is delivered once", async () => {
      await faasoOk(["sleep", name, "--stop"], { env: remote });
      assert.deepEqual(await states(), ["exited"]);
      const accepted = await fetch(`${server!.url}/async/funko/${name}/echo/woken`, { method: "POST", body: "hi" });
      const { id } = await accepted.json();
      assert.equal(accepted.status, 202);
      const call = async () =>
        (await admin!.get<{ id: string; state: string; status: number | null; attempts: number }[]>(
          `/calls?funko=${name}`,
        )).find((c) => c.id === id);
      await waitUntil(async () => (await call())?.state === "done", "the call was delivered", 60_000);
      assert.equal((await call())!.status, 200);
      assert.equal((await call())!.attempts, 1, "held during the wake, not retried");
      assert.deepEqual(await states(), ["running"]);
      assert.equal((await activity()).state, "awake");
    });

    await step(
      "a proxy started while the funko sleeps finds it asleep and wakes it on the first request",
      async () => {
        for (const how of ["--stop", undefined]) {
          await faasoOk(["sleep", name, ...(how ? [how] : [])], { env: remote });
          const before = await states();
          await server!.stop();
          await start();
          // Its start-up reconcile and its keeper leave a sleeping funko's stopped instance alone.
          await new Promise((resolve) => setTimeout(resolve, 1500));
          // Paused longer than stop_after (6 s) by now on a slow machine: the new proxy may have stopped it since.
          const after = await states();
          if (how || after[0] === "exited") {
            assert.deepEqual(after, ["exited"]);
            assert.equal((await activity()).state, "stopped");
          } else {
            assert.deepEqual(after, before);
            assert.equal((await activity()).state, "paused");
          }
          const response = await get(url());
          assert.equal(response.status, 200, await response.text());
          assert.deepEqual(await states(), ["running"]);
        }
      },
    );

    await step("min >= 1 never sleeps, even with idle settings in its image", async () => {
      // funko.yml refuses idle beside min 1; an image can still carry both (built by hand).
      const settings = JSON.stringify({ scale: { min: 1, max: 2 }, idle: { pause_after: "1s", stop_after: "2s" } });
      const context = join(folder.path, "steady");
      await Deno.mkdir(context);
      await Deno.writeTextFile(
        join(context, "Dockerfile"),
        `FROM faaso-${name}:latest\nLABEL faaso.funko=${steady} faaso.settings='${settings}'\n`,
      );
      const built = await new Deno.Command("docker", {
        args: ["build", "-q", "-t", `faaso-${steady}:latest`, context],
        env: { DOCKER_BUILDKIT: "0" },
      }).output();
      assert.ok(built.success, new TextDecoder().decode(built.stderr));
      await faasoOk(["up", steady]);
      await waitUntil(() => answers(`${server!.url}/funko/${steady}/`), "it answers");
      await new Promise((resolve) => setTimeout(resolve, 5000));
      assert.deepEqual(await statesOf(docker, steady), ["running"]);
      assert.equal((await admin!.funko(steady)).activity?.state, "awake");
    });
  } catch (error) {
    if (server) console.error(`faaso serve said:\n${server.lines.join("\n")}`);
    throw error;
  } finally {
    await server?.stop();
    // The steady funko's image is a child of the other's: it goes first.
    await cleanupFunko(docker, steady);
    await cleanupFunko(docker, name);
  }
});
