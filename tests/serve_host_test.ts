/**
 * `faaso serve` straight on the host (no container): the generated password,
 * login throttling, bringing stopped instances back, proxying to instances
 * by their faaso-net address, and a clean stop on SIGTERM.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cleanupFunko,
  faaso,
  faasoOk,
  fileTimeLimit,
  instancesOf,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitForHttp,
} from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 8 });

async function login(url: string, password: string): Promise<Response> {
  return await timedFetch(`${url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password }),
  });
}

Deno.test("faaso serve on the host: generated password, throttling, restarts stopped instances, proxies", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-host");
  const data = join(folder.path, "data");
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    await faasoOk(["build", name, "-q"], { cwd: folder.path });
    await faasoOk(["scale", name, "2"]);
    const [stopped] = await instancesOf(docker, name);
    await docker.containers.stop(stopped!.id, 1);

    await t.step(
      "first start generates and prints the admin password once, and starts the stopped instance",
      async () => {
        await using server = await serve({ FAASO_DATA: data });
        const instances = await instancesOf(docker, name);
        assert.deepEqual(instances.map((i) => i.state), ["running", "running"], "stopped instance started again");
        assert.ok(
          server.lines.some((line) => line.includes(`Started ${stopped!.name} again`)),
          server.lines.join("\n"),
        );

        const code = await server.stop();
        assert.equal(code, 0, "SIGTERM stops the server cleanly");
        const shown = server.lines.map((line) => /Generated the admin password: (\S+)/.exec(line)?.[1]).find(Boolean);
        assert.ok(shown, server.lines.join("\n"));
        const auth = await Deno.readTextFile(join(data, "auth.json"));
        assert.ok(!auth.includes(shown), "only the hash is stored");
        assert.equal((await Deno.stat(join(data, "auth.json"))).mode! & 0o777, 0o600);
        await Deno.writeTextFile(join(folder.path, "password"), shown);
      },
    );

    await t.step("second start: no password shown, the stored one works; guessing gets throttled", async () => {
      await using server = await serve({ FAASO_DATA: data });
      assert.ok(!server.lines.some((line) => line.includes("Generated the admin password")));
      const password = await Deno.readTextFile(join(folder.path, "password"));
      const ok = await login(server.url, password);
      assert.equal(ok.status, 200);
      assert.match((await ok.json()).token, /^[\w-]+\.[\w-]+$/);
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const wrong = await login(server.url, "guess");
        statuses.push(wrong.status);
        await wrong.body?.cancel();
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429]);
      const throttled = await login(server.url, password);
      assert.equal(throttled.status, 429, "even the right password waits once throttled");
      assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
      await throttled.body?.cancel();
    });

    await t.step("the proxy on the host reaches instances by their faaso-net address", async () => {
      await using server = await serve({ FAASO_DATA: data });
      assert.equal(await waitForHttp(`${server.url}/funko/${name}/`), "Hello World Deno!");
      assert.equal(await waitForHttp(`${server.url}/ping`), "OK");
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});

Deno.test("the CLI warns when the server's version differs from its own", async () => {
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    () => Response.json([], { headers: { "x-faaso-version": "0.0.1-other" } }),
  );
  await using folder = await tempFolder();
  const run = await faaso(["status"], {
    env: { FAASO_SERVER: `http://127.0.0.1:${server.addr.port}`, XDG_CONFIG_HOME: folder.path },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /Warning: this faaso is \S+, the server at http:\/\/127\.0\.0\.1:\d+ is 0\.0\.1-other/);
});

Deno.test("-l keeps a command local even with FAASO_SERVER set", async () => {
  const run = await faaso(["status", "-l", "--json"], { env: { FAASO_SERVER: "http://127.0.0.1:1" } });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(Array.isArray(JSON.parse(run.stdout)));
  const before = await faaso(["-l", "status", "--json"], { env: { FAASO_SERVER: "http://127.0.0.1:1" } });
  assert.equal(before.code, 0, before.stderr);
  const remote = await faaso(["status"], { env: { FAASO_SERVER: "http://127.0.0.1:1" } });
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /Cannot reach the FaaSO server at http:\/\/127\.0\.0\.1:1/);
});
