/**
 * Messages a person meets in the first hour, said once and right.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { faaso, tempFolder, uniqueName } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

Deno.test("down of an unknown funko says there is no such funko, not 'Cannot run'", async () => {
  const name = uniqueName("it-nosuch");
  const run = await faaso(["down", name]);
  assert.equal(run.code, 1);
  assert.equal(
    run.stderr,
    `Error: No funko named ${name}: there is no image faaso-${name}:latest and no instance of it\n`,
  );
});

Deno.test("a remote command without a valid token says so once, with the command to run", async () => {
  await using folder = await tempFolder();
  await using server = await serve({ FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: "a-password-1" });
  const env = { FAASO_SERVER: server.url, XDG_CONFIG_HOME: folder.path };
  const none = await faaso(["status"], { env });
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    `On ${server.url} (from FAASO_SERVER; -l for this machine)\n` +
      `Error: Not logged in to ${server.url} (no token): run faaso login --server ${server.url}\n`,
  );
  const wrong = await faaso(["status"], { env: { ...env, FAASO_TOKEN: "not.valid" } });
  assert.equal(wrong.code, 1);
  assert.match(
    wrong.stderr,
    /\nError: Not logged in to \S+ \(the token is wrong or expired\): run faaso login --server \S+\n$/,
  );
});

Deno.test("every remote command says on stderr which server it acts on; local ones say nothing", async () => {
  await using folder = await tempFolder();
  await using server = await serve({ FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: "a-password-1" });
  const env = { XDG_CONFIG_HOME: folder.path };
  const local = await faaso(["status", "--json"], { env });
  assert.equal(local.code, 0, local.stderr);
  assert.equal(local.stderr, "", "local: no note");

  const login = await faaso(["login", "--server", server.url], { env, stdin: "a-password-1\n" });
  assert.equal(login.code, 0, login.stderr);
  const saved = await faaso(["status", "--json"], { env });
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(saved.stderr, `On ${server.url} (from faaso login; -l for this machine)\n`);
  assert.ok(Array.isArray(JSON.parse(saved.stdout)), "--json output stays JSON");

  const forced = await faaso(["status", "-l", "--json"], { env });
  assert.equal(forced.stderr, "", "-l: this machine, no note");
});
