/**
 * `faaso serve --hash-password`, `faaso login` and `faaso logout` against a
 * real `faaso serve` on the host: a hashed password in the server's
 * config.yml works, the saved config file is the user's alone and holds a
 * token, never the password, remote commands then use it, and after logout
 * they ask for a login again.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { faaso, faasoOk, fileTimeLimit, tempFolder } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 4 });

Deno.test("serve --hash-password, login, the saved config, logout", async (t) => {
  await using folder = await tempFolder();
  const data = join(folder.path, "server-data");
  const config = join(folder.path, "config");
  const env = { XDG_CONFIG_HOME: config };
  const password = `pw-${crypto.randomUUID()}`;

  const hashed = await faasoOk(["serve", "--hash-password"], { stdin: `${password}\n` });
  const hash = hashed.stdout.trim();
  await t.step("--hash-password prints a hash, not the password; a short one is refused", async () => {
    assert.ok(hash.length > 20 && !hash.includes(password), `a hash: ${hash}`);
    const short = await faaso(["serve", "--hash-password"], { stdin: "short\n" });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /Cannot hash the password: use at least 8 characters/);
  });

  await Deno.mkdir(data, { recursive: true });
  await Deno.writeTextFile(join(data, "config.yml"), `password_hash: ${JSON.stringify(hash)}\n`);
  await using server = await serve({ FAASO_DATA: data });
  const configFile = join(config, "faaso", "config.json");

  await t.step("a wrong password is refused and nothing is saved", async () => {
    const wrong = await faaso(["login", "--server", server.url], { env, stdin: "not the password\n" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`Cannot log in to ${server.url}`));
    assert.equal(await Deno.stat(configFile).then(() => "saved", () => "absent"), "absent");
  });

  await t.step("login with the hashed password saves URL and token, mode 0600, never the password", async () => {
    const login = await faasoOk(["login", "--server", server.url], { env, stdin: `${password}\n` });
    assert.match(login.stdout, new RegExp(`Logged in to ${server.url}; token saved in ${configFile}`));
    assert.equal((await Deno.stat(configFile)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(configFile);
    const saved = JSON.parse(text);
    assert.equal(saved.server, server.url);
    assert.ok(typeof saved.token === "string" && saved.token.length > 20, text);
    assert.ok(!text.includes(password), "the password is not saved");
    assert.ok(!(login.stdout + login.stderr).includes(password), "nor printed");
  });

  await t.step("remote commands then go to the saved server", async () => {
    const status = await faasoOk(["status", "--json"], { env });
    assert.match(status.stderr, new RegExp(`On ${server.url} \\(from faaso login; -l for this machine\\)`));
    assert.ok(Array.isArray(JSON.parse(status.stdout)));
  });

  await t.step("logout forgets the token, keeps the URL; remote commands ask for a login", async () => {
    const logout = await faasoOk(["logout"], { env });
    assert.match(logout.stdout, new RegExp(`Logged out of ${server.url}`));
    assert.deepEqual(JSON.parse(await Deno.readTextFile(configFile)), { server: server.url });
    assert.equal((await Deno.stat(configFile)).mode! & 0o777, 0o600);
    const status = await faaso(["status"], { env });
    assert.notEqual(status.code, 0, status.stdout);
    assert.match(
      status.stderr,
      new RegExp(`Not logged in to ${server.url} .*: run faaso login --server ${server.url}`),
    );
  });
});
