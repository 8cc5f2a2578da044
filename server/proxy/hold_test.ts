import assert from "node:assert/strict";
import type { Instance } from "../../core/instances.ts";
import { HoldQueue, type WakeOutcome } from "./hold.ts";
import { RoutingTable } from "./routing_table.ts";

function instance(id: string, change: Partial<Instance> = {}): Instance {
  return {
    id,
    name: `faaso-hello-${id}`,
    funko: "hello",
    state: "paused",
    health: "unhealthy",
    address: "172.18.0.9",
    port: 3000,
    healthPath: "/ping",
    imageId: "sha256:1",
    created: new Date(),
    ...change,
  };
}

/** A waker that wakes when told to, and counts the wakes asked for. */
function waker(table: RoutingTable) {
  let release: (outcome: WakeOutcome) => void = () => {};
  let wakes = 0;
  const pending = new Promise<WakeOutcome>((resolve) => release = resolve);
  return {
    canWake: () => table.isAsleep("hello"),
    wake: () => {
      wakes++;
      return pending;
    },
    release: (outcome: WakeOutcome) => release(outcome),
    get wakes() {
      return wakes;
    },
  };
}

Deno.test("HoldQueue holds requests for a sleeping funko until the wake routes an instance", async () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.setAsleep("hello", true);
  const wakes = waker(table);
  const hold = new HoldQueue({ table, waker: wakes });
  assert.ok(hold.shouldHold("hello"));
  const held = Array.from({ length: 5 }, () => hold.hold("hello", new AbortController().signal));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(hold.held("hello"), 5);
  // What the sleeper does once the thawed instance answered its probe: a stale "unhealthy" does not matter.
  table.markReady(instance("a", { state: "running" }));
  table.setAsleep("hello", false);
  wakes.release({ ok: true });
  const results = await Promise.all(held);
  assert.ok(results.every((result) => result?.endpoint?.id === "a"));
  assert.equal(hold.held("hello"), 0);
});

Deno.test("HoldQueue answers 503 with Retry-After beyond hold.queue, when the wake fails, and after hold.timeout", async () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.setAsleep("hello", true);
  const wakes = waker(table);
  const hold = new HoldQueue({ table, waker: wakes, settings: () => ({ queue: 2, timeout: "200ms" }) });
  const signal = new AbortController().signal;
  const first = [hold.hold("hello", signal), hold.hold("hello", signal)];
  const third = await hold.hold("hello", signal);
  assert.equal(third?.answer?.status, 503);
  assert.deepEqual([...third?.answer?.headers ?? []].find(([name]) => name === "retry-after"), ["retry-after", "1"]);
  assert.match(
    new TextDecoder().decode(third?.answer?.body as Uint8Array),
    /2 requests wait for one already \(hold\.queue\)/,
  );
  const started = Date.now();
  wakes.release({ ok: false, reason: "faaso-hello-a cannot start" });
  for (const result of await Promise.all(first)) {
    assert.equal(result?.answer?.status, 503);
    assert.match(
      new TextDecoder().decode(result?.answer?.body as Uint8Array),
      /cannot be woken: faaso-hello-a cannot start/,
    );
  }
  assert.ok(Date.now() - started < 150, "a failed wake is said at once, not after the timeout");

  const starting = new RoutingTable();
  starting.upsert(instance("b", { state: "running", health: "starting" }));
  const timed = new HoldQueue({ table: starting, settings: () => ({ queue: 2, timeout: "200ms" }) });
  assert.ok(timed.shouldHold("hello"), "a starting instance is worth waiting for");
  const late = await timed.hold("hello", signal);
  assert.match(
    new TextDecoder().decode(late?.answer?.body as Uint8Array),
    /no healthy instance right now, after waiting 200ms \(hold\.timeout\)/,
  );
});

Deno.test("HoldQueue lets a client that went away go", async () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.setAsleep("hello", true);
  const hold = new HoldQueue({ table, waker: waker(table) });
  const client = new AbortController();
  const held = hold.hold("hello", client.signal);
  client.abort();
  assert.equal(await held, undefined);
  assert.equal(hold.held("hello"), 0);
});
