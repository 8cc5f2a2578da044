/**
 * How `faaso serve` starts and stops, as its user sees it: a busy port fails
 * before anything is written or started; the start lines say where the
 * password comes from and where the web UI is; a stop is announced.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, instancesOf, tempFolder, testDocker, uniqueName } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

Deno.test("serve on a busy port names the port and how to pick another, and touches nothing", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String(busy.addr.port);
  const data = join(folder.path, "data");
  const name = uniqueName("it-busy");
  const expected = new RegExp(
    `^Error: Cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use \\(another faaso serve\\?\\); ` +
      "pick another with --port N or FAASO_PORT=N\\n$",
  );

  await t.step("a first start: no credentials created, no password lost", async () => {
    const run = await faaso(["serve", "--port", port, "--host", "127.0.0.1"], { env: { FAASO_DATA: data } });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, expected);
    assert.equal(run.stdout, "", "no start line, no password printed");
    await assert.rejects(Deno.stat(join(data, "auth.json")), Deno.errors.NotFound);
  });

  await t.step("a later start: auth.json stays as it was, stopped instances stay stopped", async () => {
    try {
      await faasoOk(["new", name], { cwd: folder.path });
      await faasoOk(["build", name, "-q"], { cwd: folder.path });
      await faasoOk(["up", name]);
      const [instance] = await instancesOf(docker, name);
      await docker.containers.stop(instance!.id, 1);
      await Deno.mkdir(data, { recursive: true });
      await Deno.writeTextFile(join(data, "auth.json"), '{"tokenKey": "kept as it is"}');
      const run = await faaso(["serve", "--host", "127.0.0.1"], {
        env: { FAASO_DATA: data, FAASO_PORT: port, FAASO_PASSWORD: "a-password-1" },
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, expected);
      assert.equal(await Deno.readTextFile(join(data, "auth.json")), '{"tokenKey": "kept as it is"}');
      const [after] = await instancesOf(docker, name);
      assert.equal(after?.state, "exited", "the engine's instances were not touched");
    } finally {
      await cleanupFunko(docker, name);
    }
  });
});

Deno.test("serve says where the password comes from and where the UI is, redirects / and stops out loud", async (t) => {
  await using folder = await tempFolder();
  const data = join(folder.path, "data");

  await t.step("first start: the password is generated now and shown once", async () => {
    await using server = await serve({ FAASO_DATA: data });
    assert.ok(
      server.lines.some((line) => /admin password generated now \(below\)$/.test(line)),
      server.lines.join("\n"),
    );
    assert.ok(!server.lines.some((line) => line.includes("password from generated")));
    const listening = server.lines.find((line) => line.includes("listening on"));
    assert.equal(
      listening,
      `FaaSO ${listening?.split(" ")[1]} listening on ${server.url}: funkos at ${server.url}/funko/NAME/, ` +
        `the web UI and admin API at ${server.url}/admin/`,
    );
    assert.equal(await server.stop(), 0);
    assert.deepEqual(server.lines.slice(-2), [
      "Stopping (SIGTERM): requests in flight get up to 10 s to finish",
      "Stopped",
    ]);
  });

  await t.step("later starts: the one generated on the first start", async () => {
    await using server = await serve({ FAASO_DATA: data });
    assert.ok(
      server.lines.some((line) =>
        line.endsWith(
          "admin password generated on the first start (only its hash is kept; delete auth.json for a new one)",
        )
      ),
      server.lines.join("\n"),
    );
    assert.ok(!server.lines.some((line) => line.includes("Generated the admin password")));
  });

  await t.step("GET / leads to the web UI; there is a favicon", async () => {
    await using server = await serve({ FAASO_DATA: data, FAASO_PASSWORD: "a-password-1" });
    const root = await fetch(`${server.url}/`, { redirect: "manual" });
    await root.body?.cancel();
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/admin/");
    const icon = await fetch(`${server.url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/x-icon");
    const bytes = new Uint8Array(await icon.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 4)], [0, 0, 1, 0], "an ICO file");
  });

  await t.step("throttled logins are told how long to wait", async () => {
    await using server = await serve({ FAASO_DATA: data, FAASO_PASSWORD: "a-password-1" });
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await fetch(`${server.url}/admin/api/login`, { method: "POST", body: '{"password": "guess"}' });
      if (i < 5) await last.body?.cancel();
    }
    assert.equal(last!.status, 429);
    assert.match((await last!.json()).error.message, /^Too many failed logins: try again in \d+ seconds?$/);
  });
});
