/**
 * The tests never act on the person's own setup: with a saved `faaso login`
 * and FAASO_SERVER / FAASO_TOKEN / FAASO_DATA in the shell that runs them, the
 * CLI runs and servers the tests start stay local and in the test file's
 * sandbox, and the server the person logged in to hears nothing.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { faaso, FAASO_ARGS, faasoOk, fileTimeLimit, runCommand, sandbox, tempFolder, timedFetch } from "./helpers.ts";
import { DENO_DIR } from "./sandbox.ts";
import { serve } from "./serve_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 5 });

/** Sets environment variables of this process until disposed, then puts the old values back. */
function shellEnv(values: Record<string, string>): Disposable {
  const old = Object.fromEntries(Object.keys(values).map((key) => [key, Deno.env.get(key)]));
  for (const [key, value] of Object.entries(values)) Deno.env.set(key, value);
  return {
    [Symbol.dispose]() {
      for (const [key, value] of Object.entries(old)) {
        if (value === undefined) Deno.env.delete(key);
        else Deno.env.set(key, value);
      }
    },
  };
}

Deno.test("a saved login and FAASO_* in the shell never reach the tests' CLI runs or servers", async () => {
  const requests: string[] = [];
  await using server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    requests.push(`${request.method} ${new URL(request.url).pathname}`);
    // Anything that reaches it fails loudly.
    return Response.json({ error: { code: "teapot", message: "the person's own server" } }, { status: 418 });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  // The person's own setup, outside the sandbox: a saved login where FaaSO looks for one.
  await using person = await tempFolder();
  const saved = JSON.stringify({ server: url, token: "saved-token" });
  for (const config of [join(person.path, "home", ".config"), join(person.path, "xdg")]) {
    await Deno.mkdir(join(config, "faaso"), { recursive: true });
    await Deno.writeTextFile(join(config, "faaso", "config.json"), saved);
  }
  const theirData = join(person.path, "their-data");
  using _shell = shellEnv({
    HOME: join(person.path, "home"),
    XDG_CONFIG_HOME: join(person.path, "xdg"),
    FAASO_SERVER: url,
    FAASO_TOKEN: "shell-token",
    FAASO_DATA: theirData,
    FAASO_PASSWORD: "the-persons-password",
  });

  // The trap is real: a CLI run that inherits this environment goes to that server.
  const inherited = await runCommand(Deno.execPath(), [...FAASO_ARGS, "status"], {
    env: { ...Deno.env.toObject(), DENO_DIR },
    timeoutMs: 60_000,
  });
  assert.ok(requests.length > 0, `an inheriting run reaches the saved server (exit ${inherited.code})`);
  requests.length = 0;

  // The helpers' runs stay local, in the sandbox.
  const status = await faasoOk(["status", "--json"]);
  assert.ok(Array.isArray(JSON.parse(status.stdout)), "status ran locally");
  await faasoOk(["secret", "ls"]);
  const logout = await faaso(["logout"]);
  assert.equal(logout.code, 0, logout.stderr);
  await using host = await serve({});
  const theirPassword = await timedFetch(`${host.url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: "the-persons-password" }),
  });
  await theirPassword.body?.cancel();
  assert.equal(theirPassword.status, 401, "the server did not get FAASO_PASSWORD from the shell");
  assert.ok(
    await Deno.stat(join(sandbox().data, "auth.json")).then(() => true, () => false),
    "the server keeps its files in the sandbox's data folder",
  );
  await host.stop();

  assert.deepEqual(requests, [], "the saved server heard nothing");
  assert.equal(
    await Deno.stat(theirData).then(() => "exists", () => "absent"),
    "absent",
    "their data folder untouched",
  );
  for (const config of [join(person.path, "home", ".config"), join(person.path, "xdg")]) {
    assert.equal(await Deno.readTextFile(join(config, "faaso", "config.json")), saved, "their login is kept");
  }
});
