import assert from "node:assert/strict";
import type { NewCall } from "./call_store.ts";
import { SqliteCallStore } from "./sqlite_call_store.ts";

const call = (funko: string, callbackUrl: string | null = null): NewCall => ({
  funko,
  method: "POST",
  target: "/x?y=1",
  headers: [["content-type", "text/plain"]],
  body: new TextEncoder().encode("hi"),
  remote: "127.0.0.1",
  callbackUrl,
});

async function tempStore() {
  const root = await Deno.makeTempDir({ prefix: "faaso-store-test-" });
  const store = SqliteCallStore.inFolder(root);
  return Object.assign(store, {
    root,
    async [Symbol.asyncDispose]() {
      store.close();
      await Deno.remove(root, { recursive: true });
    },
  });
}

Deno.test("SqliteCallStore claims due calls of one funko, oldest first, at most as many as asked", async () => {
  await using store = await tempStore();
  const a = await store.add(call("a"), 1000);
  const b = await store.add(call("a"), 2000);
  await store.add(call("b"), 1000);
  assert.deepEqual(await store.queuedFunkos(), [{ funko: "a", due: 1000 }, { funko: "b", due: 1000 }]);
  const claimed = await store.claim({ funko: "a" }, 1, 5000);
  assert.deepEqual(claimed.map((c) => c.id), [a.id]);
  assert.equal(new TextDecoder().decode(claimed[0]!.body!), "hi");
  assert.deepEqual(claimed[0]!.headers, [["content-type", "text/plain"]]);
  assert.deepEqual((await store.claim({ funko: "a" }, 5, 1500)).map((c) => c.id), [], "b is not due at 1500");
  assert.deepEqual((await store.claim({ funko: "a" }, 5, 5000)).map((c) => c.id), [b.id]);
});

Deno.test("SqliteCallStore keeps failed calls with their body, retries and removes them by id prefix", async () => {
  await using store = await tempStore();
  const added = await store.add(call("a"));
  await store.claim({ funko: "a" }, 1);
  await store.retryLater(added.id, 1, Date.now() + 60_000, 503, "the funko answered 503");
  assert.equal((await store.get(added.id))!.state, "queued");
  await store.claim({ funko: "a" }, 1, Date.now() + 60_000);
  await store.endPhase(added.id, { state: "failed", status: 503, error: "out of attempts", attempts: 2 });
  const failed = await store.get(added.id.slice(0, 6));
  assert.equal(failed!.state, "failed");
  assert.equal(failed!.attempts, 2);
  assert.equal((await store.retry(added.id))!.state, "queued");
  const again = await store.claim({ funko: "a" }, 1);
  assert.equal(again[0]!.attempts, 0, "attempts start over");
  assert.equal(new TextDecoder().decode(again[0]!.body!), "hi", "the body was kept");
  assert.equal(await store.remove(added.id), null, "a running call is not removed");
  await store.endPhase(added.id, { state: "done", status: 200, error: null, attempts: 1 });
  assert.equal((await store.remove(added.id))!.id, added.id);
  assert.equal(await store.get(added.id), null);
  const counts = (await store.counts()).a!;
  assert.deepEqual([counts.acceptedTotal, counts.deliveredTotal, counts.failedTotal], [1, 1, 1]);
});

Deno.test("SqliteCallStore names each of many calls made in the same second by its first 8 characters", async () => {
  await using store = await tempStore();
  const added = await Promise.all(Array.from({ length: 20 }, () => store.add(call("a"))));
  for (const { id } of added) {
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal((await store.get(id.slice(0, 8)))?.id, id, `the prefix ${id.slice(0, 8)} names one call`);
  }
});

Deno.test("SqliteCallStore moves a delivered call with a callback URL to the callback phase", async () => {
  await using store = await tempStore();
  const added = await store.add(call("a", "http://127.0.0.1:9/cb"));
  await store.claim({ funko: "a" }, 1);
  const answer = { status: 201, headers: [["x-y", "z"]] as [string, string][], body: new Uint8Array([1, 2]) };
  await store.endPhase(added.id, { state: "done", status: 201, error: null, attempts: 1, answer });
  assert.deepEqual(await store.queuedFunkos(), [], "no longer waits for the funko");
  assert.notEqual(await store.nextCallbackDue(), null);
  const [callback] = await store.claim({ callbacks: true }, 8);
  assert.equal(callback!.outcome, "done");
  assert.deepEqual(callback!.answer, answer);
  await store.endPhase(added.id, { state: "done", status: 204, error: null, attempts: 1 });
  const done = (await store.get(added.id))!;
  assert.equal(done.state, "done");
  assert.equal(done.callbackStatus, 204);
});

Deno.test("SqliteCallStore puts calls left running back in the queue, and survives reopening", async () => {
  const root = await Deno.makeTempDir({ prefix: "faaso-store-test-" });
  try {
    const first = SqliteCallStore.inFolder(root);
    const added = await first.add(call("a"));
    await first.claim({ funko: "a" }, 1);
    first.close();
    const second = SqliteCallStore.inFolder(root);
    assert.equal(await second.requeueRunning(), 1);
    assert.deepEqual((await second.claim({ funko: "a" }, 1)).map((c) => c.id), [added.id]);
    second.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
