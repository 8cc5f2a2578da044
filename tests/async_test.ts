/**
 * Async calls through a real `faaso serve` on the host, to a real funko
 * (tests/fixtures/invoked) with short retry delays: 202 and delivery, retries
 * with growing waits, dead letters retried and removed from the CLI (local
 * and remote), callbacks with their own retries, concurrency 1, 413, and no
 * call lost when the proxy is killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { CallSummary } from "../core/call_store.ts";
import { cleanupFunko, faaso, faasoOk, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { invokedFunko, type Recorded } from "./invoked_helpers.ts";
import { type HostServer, serve } from "./serve_helpers.ts";

Deno.test("async calls: 202, delivery, retries, dead letters, callbacks, concurrency, 413, SIGKILL", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-async");
  const password = crypto.randomUUID();
  const env = { FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: password };
  const remoteEnv = { XDG_CONFIG_HOME: join(folder.path, "config") };
  let server: HostServer | undefined;
  const url = (path: string) => `${server!.url}${path}`;
  const post = (path: string, init: RequestInit = {}) =>
    fetch(url(`/async/funko/${name}${path}`), { method: "POST", ...init });
  const accepted = async (path: string, init: RequestInit = {}): Promise<string> => {
    const response = await post(path, init);
    const body = await response.json();
    assert.equal(response.status, 202, JSON.stringify(body));
    return body.id;
  };
  const records = async (key: string): Promise<Recorded[]> =>
    await (await fetch(url(`/funko/${name}/records/${key}`))).json();
  let token = "";
  // Polled through the admin API (a CLI run per poll would take a second each); the CLI is tested on its own.
  const calls = async (): Promise<CallSummary[]> => {
    token ||= (await (await fetch(url("/admin/api/login"), { method: "POST", body: JSON.stringify({ password }) }))
      .json()).token;
    const response = await fetch(url(`/admin/api/calls?funko=${name}`), {
      headers: { authorization: `Bearer ${token}` },
    });
    return await response.json();
  };
  const callOf = async (id: string) => (await calls()).find((call) => call.id === id);
  const stateIs = (id: string, state: string) => async () => (await callOf(id))?.state === state;

  try {
    const funko = await invokedFunko(
      folder.path,
      name,
      "async:\n  attempts: 3\n  min_delay: 200ms\n  max_delay: 1s\n  max_body: 2k\n",
    );
    await faasoOk(["build", funko, "-q"]);
    await faasoOk(["up", name]);
    server = await serve(env);

    await t.step("202 with a call id at once; delivered like a proxied request", async () => {
      const response = await post("/record/k1?x=1", { headers: { "x-kept": "yes" }, body: "hello" });
      const body = await response.json();
      assert.equal(response.status, 202);
      assert.match(body.id, /^[0-9a-f]{16}$/);
      assert.equal(response.headers.get("x-call-id"), body.id);
      await waitUntil(async () => (await records("k1")).length === 1, "the call reached the funko");
      const [seen] = await records("k1");
      assert.equal(seen!.method, "POST");
      assert.equal(new URL(seen!.url).pathname + new URL(seen!.url).search, "/record/k1?x=1");
      assert.equal(seen!.body, "hello");
      assert.equal(seen!.headers["x-kept"], "yes");
      assert.equal(seen!.headers["x-call-id"], body.id);
      assert.equal(seen!.headers["x-forwarded-prefix"], `/funko/${name}`);
      await waitUntil(stateIs(body.id, "done"), "listed as done");
      assert.equal((await callOf(body.id))!.status, 200);
    });

    await t.step("GET, unknown funkos, bad callback URLs and bodies over max_body are refused", async () => {
      const get = await fetch(url(`/async/funko/${name}/record/x`));
      assert.equal(get.status, 405);
      assert.match((await get.json()).error.message, /other than GET/);
      const unknown = await fetch(url("/async/funko/no-such-funko-here/x"), { method: "POST", body: "x" });
      assert.equal(unknown.status, 404);
      await unknown.body?.cancel();
      const badCallback = await post("/record/x", { headers: { "x-callback-url": "ftp://example" }, body: "x" });
      assert.equal(badCallback.status, 400);
      await badCallback.body?.cancel();
      const large = await post("/record/large", { body: "x".repeat(2049) });
      assert.equal(large.status, 413);
      assert.match((await large.json()).error.message, /at most 2048 bytes/);
      const fits = await post("/record/large", { body: "x".repeat(2048) });
      assert.equal(fits.status, 202);
      await fits.body?.cancel();
      await waitUntil(async () => (await records("large")).length === 1, "the call that fits is delivered");
      assert.equal((await records("large"))[0]!.body.length, 2048);
    });

    await t.step("503 twice, then 200: retried with growing waits, done on the third attempt", async () => {
      const id = await accepted("/flaky/k2/2/503", { body: "again" });
      await waitUntil(stateIs(id, "done"), "done after retries", 20_000);
      const seen = await records("k2");
      assert.equal(seen.length, 3);
      assert.ok(seen.every((r) => r.body === "again" && r.headers["x-call-id"] === id));
      // min_delay 200ms doubling: at least 200 ms, then at least 400 ms.
      assert.ok(seen[1]!.at - seen[0]!.at >= 190, `first wait ${seen[1]!.at - seen[0]!.at} ms`);
      assert.ok(seen[2]!.at - seen[1]!.at >= 390, `second wait ${seen[2]!.at - seen[1]!.at} ms`);
      assert.equal((await callOf(id))!.attempts, 3);
    });

    await t.step("out of attempts: kept as failed; faaso calls retry (remote) delivers it", async () => {
      const id = await accepted("/flaky/k3/3/500", { body: "dead letter" });
      await waitUntil(stateIs(id, "failed"), "failed after 3 attempts", 20_000);
      assert.equal((await records("k3")).length, 3);
      const listed = await faasoOk(["calls", name, "-l"], { env });
      assert.match(listed.stdout, new RegExp(`${id}  ${name}  failed.*3 attempts.*status 500`));
      await faasoOk(["login", "--server", server!.url], { env: remoteEnv, stdin: `${password}\n` });
      const retried = await faasoOk(["calls", "retry", id.slice(0, 8)], { env: remoteEnv });
      assert.match(retried.stdout, new RegExp(`Queued call ${id} to ${name} again`));
      await waitUntil(stateIs(id, "done"), "done after the retry");
      assert.equal((await records("k3")).length, 4);
      const again = await faaso(["calls", "retry", id], { env: remoteEnv });
      assert.equal(again.code, 1);
      assert.match(again.stderr, /it is done; only failed calls are retried/);
    });

    await t.step("faaso calls rm forgets a failed call; an unknown id is an error", async () => {
      const id = await accepted("/flaky/k4/100/502", { body: "x" });
      await waitUntil(stateIs(id, "failed"), "failed", 20_000);
      const removed = await faasoOk(["calls", "rm", id, "-l"], { env });
      assert.match(removed.stdout, new RegExp(`Removed call ${id} to ${name} \\(it was failed\\)`));
      assert.equal(await callOf(id), undefined);
      const unknown = await faaso(["calls", "rm", id, "-l"], { env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, new RegExp(`No call ${id}`));
    });

    await t.step("the callback gets the funko's answer and the call id, with retries of its own", async () => {
      const received: { headers: Headers; body: string }[] = [];
      await using receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
        received.push({ headers: request.headers, body: await request.text() });
        return new Response(null, { status: received.length === 1 ? 503 : 204 });
      });
      const callback = `http://127.0.0.1:${receiver.addr.port}/done`;
      const id = await accepted("/record/k5", { headers: { "x-callback-url": callback }, body: "call me back" });
      await waitUntil(stateIs(id, "done"), "done with its callback", 20_000);
      assert.equal(received.length, 2, "the callback's 503 was retried");
      const last = received[1]!;
      assert.equal(last.headers.get("x-call-id"), id);
      assert.equal(last.headers.get("x-function-status"), "200");
      assert.equal(last.headers.get("x-function-name"), name);
      assert.equal(last.headers.get("x-answered-by"), "invoked", "the funko's own headers are passed");
      assert.equal(JSON.parse(last.body).body, "call me back", "the body is the funko's answer");
      assert.equal((await records("k5"))[0]!.headers["x-callback-url"], undefined, "not passed to the funko");
      assert.equal((await callOf(id))!.callbackStatus, 204);
    });

    await t.step("concurrency 1: five calls of 300 ms reach the funko one at a time", async () => {
      for (let i = 0; i < 5; i++) await accepted("/work/c1/300", { body: String(i) });
      const busy = async () => await (await fetch(url(`/funko/${name}/busy/c1`))).json();
      await waitUntil(async () => (await busy()).done === 5, "five calls done", 20_000);
      assert.equal((await busy()).most, 1);
    });

    await t.step("SIGKILL with calls queued: every call is delivered after the restart", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await accepted("/work/kill/250", { body: String(i) }));
      await server!.kill();
      // Read from the data folder while no proxy runs: what was stored is on disk.
      const stored: CallSummary[] = JSON.parse((await faasoOk(["calls", name, "--json", "-l"], { env })).stdout);
      const pending = stored.filter((call) => ids.includes(call.id) && call.state !== "done");
      assert.ok(pending.length >= 4, `calls still pending when killed: ${pending.length}`);
      server = await serve(env);
      await waitUntil(
        async () => {
          const delivered = new Set((await records("kill")).map((r) => r.headers["x-call-id"]));
          return ids.every((id) => delivered.has(id));
        },
        "all 8 calls delivered after the restart",
        30_000,
      );
      const done = async () => (await calls()).filter((call) => ids.includes(call.id) && call.state === "done");
      await waitUntil(async () => (await done()).length === 8, "all 8 listed as done");
    });

    await t.step("admin API: counts by funko for metrics; faaso calls --json lists the same", async () => {
      const listed: CallSummary[] = JSON.parse((await faasoOk(["calls", name, "--json", "-l"], { env })).stdout);
      assert.deepEqual(listed.map((call) => call.id), (await calls()).map((call) => call.id));
      const counts = await (await fetch(url("/admin/api/calls/counts"), {
        headers: { authorization: `Bearer ${token}` },
      })).json();
      const mine = counts[name];
      assert.equal(mine.queued, 0);
      assert.equal(mine.failed, 0);
      assert.ok(mine.acceptedTotal >= 19, JSON.stringify(mine));
      assert.ok(mine.failedTotal >= 2, "k3 and k4 ran out of attempts");
      assert.ok(mine.deliveredTotal >= 17, JSON.stringify(mine));
    });
  } finally {
    await server?.stop();
    await cleanupFunko(docker, name);
  }
});
