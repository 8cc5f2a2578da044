import assert from "node:assert/strict";
import { join } from "node:path";
import { Credentials, hashPassword, LoginThrottle, verifyPassword } from "./auth.ts";
import { DataFolder } from "../../core/data_folder.ts";

Deno.test("hashPassword and verifyPassword agree, and differ for other passwords", async () => {
  const hash = await hashPassword("correct horse");
  assert.match(hash, /^pbkdf2-sha256\$600000\$[\w+/=]+\$[\w+/=]+$/);
  assert.ok(await verifyPassword("correct horse", hash));
  assert.ok(!await verifyPassword("correct hors", hash));
  assert.ok(!await verifyPassword("x", "not a hash"));
});

Deno.test("Credentials generate a password once and store only its hash (mode 0600)", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = new DataFolder(join(root, "data"));
    const first = await Credentials.load(data);
    assert.ok(first.generated && first.generated.length >= 20);
    const stored = await Deno.readTextFile(data.authFile);
    assert.ok(!stored.includes(first.generated), "the password itself is not stored");
    assert.equal((await Deno.stat(data.authFile)).mode! & 0o777, 0o600);
    assert.ok(await first.credentials.checkPassword(first.generated));

    const second = await Credentials.load(data);
    assert.equal(second.generated, undefined, "shown once only");
    assert.ok(await second.credentials.checkPassword(first.generated));
    const { token } = await first.credentials.issueToken();
    assert.ok(await second.credentials.checkToken(token), "tokens survive a restart");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Credentials tokens: forged, expired, or from before a password change are refused", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = new DataFolder(root);
    const { credentials } = await Credentials.load(data, { password: "first password" });
    const { token } = await credentials.issueToken();
    assert.ok(await credentials.checkToken(token));
    assert.ok(!await credentials.checkToken(token.slice(0, -2) + "xx"));
    assert.ok(!await credentials.checkToken("garbage"));
    const old = await credentials.issueToken(Date.now() - 31 * 24 * 3600 * 1000);
    assert.ok(!await credentials.checkToken(old.token));
    const changed = await Credentials.load(data, { password: "second password" });
    assert.ok(!await changed.credentials.checkToken(token));
    assert.equal(changed.credentials.source, "FAASO_PASSWORD");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("LoginThrottle lets 5 failures through, then makes each address wait longer", () => {
  const throttle = new LoginThrottle(5, 60_000);
  const now = 1_000_000;
  for (let i = 0; i < 5; i++) {
    assert.equal(throttle.waitFor("1.2.3.4", now), 0);
    throttle.fail("1.2.3.4", now);
  }
  assert.equal(throttle.waitFor("1.2.3.4", now), 1000);
  throttle.fail("1.2.3.4", now);
  assert.equal(throttle.waitFor("1.2.3.4", now), 2000);
  assert.equal(throttle.waitFor("5.6.7.8", now), 0, "other addresses are not affected");
  throttle.succeed("1.2.3.4");
  assert.equal(throttle.waitFor("1.2.3.4", now), 0);
});

Deno.test("Credentials take a password hash from config.yml", async () => {
  const root = await Deno.makeTempDir();
  try {
    const data = new DataFolder(root);
    await Deno.writeTextFile(data.configFile, `password_hash: "${await hashPassword("from the config")}"\n`);
    const { credentials, generated } = await Credentials.load(data);
    assert.equal(generated, undefined);
    assert.equal(credentials.source, "config.yml");
    assert.ok(await credentials.checkPassword("from the config"));
    assert.ok(!await credentials.checkPassword("something else"));
    await Deno.writeTextFile(data.configFile, `password_hash: "scrypt$old"\n`);
    await assert.rejects(
      Credentials.load(data),
      /config\.yml: password_hash: use a hash from faaso serve --hash-password/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("LoginThrottle.attempt counts guesses sent in parallel before checking them", async () => {
  const throttle = new LoginThrottle(5, 60_000);
  const slowWrong = () => new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20));
  const outcomes = await Promise.all(Array.from({ length: 20 }, () => throttle.attempt("9.9.9.9", slowWrong)));
  assert.equal(outcomes.filter((o) => o.kind === "wrong").length, 5, "only the free attempts were checked");
  assert.equal(outcomes.filter((o) => o.kind === "throttled").length, 15);
  const fresh = new LoginThrottle(5, 60_000);
  assert.deepEqual(await fresh.attempt("1.1.1.1", () => Promise.resolve(true)), { kind: "ok" });
  assert.equal(fresh.waitFor("1.1.1.1"), 0, "a success clears the count");
});
