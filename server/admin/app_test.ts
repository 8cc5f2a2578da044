import assert from "node:assert/strict";
import { Docker } from "../../docker/mod.ts";
import { DataFolder } from "../../core/data_folder.ts";
import { ContainerInstances } from "../../core/container_instances.ts";
import { SecretStore } from "../../core/secrets.ts";
import { SqliteCallStore } from "../../core/sqlite_call_store.ts";
import { createApp } from "./app.ts";
import { Credentials, LoginThrottle } from "./auth.ts";
import { RoutingTable } from "../proxy/routing_table.ts";
import { createTarPacker } from "modern-tar";
import type { ContextLimits } from "./upload.ts";
import { Metrics } from "../metrics/metrics.ts";
import { MetricsToken } from "../metrics/token.ts";

/** The admin app over the real engine, with a throwaway data folder (and upload limits, when given). */
async function testApp(uploadLimits?: ContextLimits) {
  const root = await Deno.makeTempDir({ prefix: "faaso-app-test-" });
  const data = new DataFolder(root);
  const docker = Docker.fromEnv();
  const instances = new ContainerInstances(docker);
  const { credentials } = await Credentials.load(data, { password: "app test password" });
  const stopping = new AbortController();
  const table = new RoutingTable();
  const store = SqliteCallStore.inFolder(root);
  const app = createApp({
    docker,
    instances,
    lifecycle: { docker, instances },
    table,
    metrics: new Metrics({ table }),
    metricsToken: MetricsToken.of("the-metrics-token"),
    credentials,
    throttle: new LoginThrottle(),
    data,
    secrets: new SecretStore(data),
    stopping: stopping.signal,
    keepBuilds: 5,
    invocations: { store, wake: () => {} },
    uploadLimits,
  });
  return {
    app,
    data,
    async [Symbol.asyncDispose]() {
      stopping.abort();
      store.close();
      docker.close();
      await Deno.remove(root, { recursive: true });
    },
  };
}

const login = (password: string) => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ password }),
});

Deno.test("createApp: the admin API wants a token; login trades the password for one", async () => {
  await using t = await testApp();
  const anonymous = await t.app.request("/admin/api/funkos");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), 'Bearer realm="faaso"');
  assert.equal((await anonymous.json()).error.code, "unauthorized");
  assert.ok(anonymous.headers.get("x-faaso-version"));

  const wrong = await t.app.request("/admin/api/login", login("not it"));
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error.code, "bad_password");

  const right = await t.app.request("/admin/api/login", login("app test password"));
  assert.equal(right.status, 200);
  const { token } = await right.json();
  const funkos = await t.app.request("/admin/api/funkos", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(funkos.status, 200);
  assert.ok(Array.isArray(await funkos.json()));
});

Deno.test("createApp: bad input is a JSON error with the right status", async () => {
  await using t = await testApp();
  const { token } = await (await t.app.request("/admin/api/login", login("app test password"))).json();
  const auth = { authorization: `Bearer ${token}` };
  const badName = await t.app.request("/admin/api/funkos/Bad_Name", { headers: auth });
  assert.equal(badName.status, 400);
  assert.match((await badName.json()).error.message, /Bad_Name: not a funko name/);
  const unknown = await t.app.request("/admin/api/funkos/no-such-funko-at-all", { headers: auth });
  assert.equal(unknown.status, 404);
  const scale = await t.app.request("/admin/api/funkos/hello/scale", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "{}",
  });
  assert.equal(scale.status, 400);
  const nowhere = await t.app.request("/elsewhere");
  assert.equal(nowhere.status, 404);
  assert.equal((await nowhere.json()).error.code, "not_found");
});

Deno.test("createApp: the web UI sends visitors without a session to the login form", async () => {
  await using t = await testApp();
  const page = await t.app.request("/admin/");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/admin/login");
  const form = await t.app.request("/admin/login");
  assert.match(await form.text(), /<input type="password" name="password"/);
  const post = await t.app.request("/admin/funkos/hello/down", { method: "POST" });
  assert.equal(post.status, 401, "no state change without a session");
});

/** A tar.gz of files (name, size in bytes of "x"), made as the CLI's upload is. */
async function context(files: [string, number][]): Promise<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  for (const [name, size] of files) {
    const writer = controller.add({ name, size, type: "file" }).getWriter();
    await writer.write(new TextEncoder().encode("x".repeat(size)));
    await writer.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}

Deno.test("createApp: a build context over the configured limits gets 413 naming the limit; nothing stays", async () => {
  await using t = await testApp({ maxUploadBytes: 4096, maxUnpackedBytes: 1000, maxEntries: 3 });
  const { token } = await (await t.app.request("/admin/api/login", login("app test password"))).json();
  const build = (body: Uint8Array<ArrayBuffer>) =>
    t.app.request("/admin/api/funkos/limits-test/build?runtime=deno", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/gzip" },
      body,
    });
  // Random bytes do not compress: over 4096 bytes uploaded.
  const large = crypto.getRandomValues(new Uint8Array(5000));
  const cases: [string, Uint8Array<ArrayBuffer>, RegExp][] = [
    ["size", large, /larger than 4096 bytes/],
    ["entries", await context([["a", 1], ["b", 1], ["c", 1], ["d", 1]]), /more than 3 entries/],
    ["unpacked", await context([["a", 600], ["b", 600]]), /files add up to more than 1000 bytes/],
  ];
  for (const [what, body, message] of cases) {
    const response = await build(body);
    const text = await response.text();
    assert.equal(response.status, 413, `${what}: ${text}`);
    assert.match(JSON.parse(text).error.message, message, what);
  }
  // Within every limit, the same checks let it through: a build starts (and fails: no Dockerfile).
  const fits = await build(await context([["a", 600], ["b", 300], ["c", 1]]));
  const progress = await fits.text();
  assert.equal(fits.status, 200, progress);
  assert.match(progress, /Received 3 files \(901 bytes\)/);
  const left = await Array.fromAsync(Deno.readDir(t.data.uploadsFolder)).catch(() => []);
  assert.deepEqual(left, [], "no upload left in the data folder");
});

Deno.test("createApp: the traffic figures take the metrics token or an admin token, and the metrics token nothing else", async () => {
  await using t = await testApp();
  const anonymous = await t.app.request("/admin/api/stats");
  assert.equal(anonymous.status, 401);
  const wrong = await t.app.request("/admin/api/stats", { headers: { authorization: "Bearer the-metrics-tokeN" } });
  assert.equal(wrong.status, 401);
  const reader = { authorization: "Bearer the-metrics-token" };
  const stats = await t.app.request("/admin/api/stats?window=30", { headers: reader });
  assert.equal(stats.status, 200);
  const body = await stats.json();
  assert.equal(body.windowSeconds, 30);
  assert.deepEqual(body.funkos, {});
  const history = await t.app.request("/admin/api/stats/hello?range=600", { headers: reader });
  assert.deepEqual(await history.json(), { funko: "hello", stepSeconds: 10, points: [] });
  const badWindow = await t.app.request("/admin/api/stats?window=0", { headers: reader });
  assert.equal(badWindow.status, 400);
  assert.match((await badWindow.json()).error.message, /window=0: use a whole number of seconds from 1 to 3600/);
  const funkos = await t.app.request("/admin/api/funkos", { headers: reader });
  assert.equal(funkos.status, 401, "the metrics token is no admin token");
  const { token } = await (await t.app.request("/admin/api/login", login("app test password"))).json();
  const asAdmin = await t.app.request("/admin/api/stats", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(asAdmin.status, 200);
});
