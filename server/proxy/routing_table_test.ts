import assert from "node:assert/strict";
import type { Instance } from "../../core/instances.ts";
import { RoutingTable } from "./routing_table.ts";

function instance(id: string, change: Partial<Instance> = {}): Instance {
  return {
    id,
    name: `faaso-hello-${id}`,
    funko: "hello",
    state: "running",
    health: "healthy",
    address: `172.18.0.${id.length + 10}`,
    port: 3000,
    healthPath: "/ping",
    imageId: "sha256:1",
    created: new Date(),
    ...change,
  };
}

Deno.test("RoutingTable routes only to running, healthy instances", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.upsert(instance("bb", { health: "unhealthy" }));
  table.upsert(instance("ccc", { state: "exited" }));
  table.upsert(instance("dddd", { health: "starting" }));
  table.upsert(instance("eeeee", { health: "none" }));
  table.update("eeeee", { probed: true });
  const picked = new Set(Array.from({ length: 10 }, () => table.pick("hello")?.id));
  assert.deepEqual([...picked].sort(), ["a", "eeeee"]);
  assert.equal(table.pick("other"), undefined);
});

Deno.test("RoutingTable routes an instance without a Docker healthcheck only once its probe passed", () => {
  const table = new RoutingTable();
  table.upsert(instance("old"));
  table.upsert(instance("new", { health: "none", port: 8080, healthPath: null }));
  const before = new Set(Array.from({ length: 6 }, () => table.pick("hello")?.id));
  assert.deepEqual([...before], ["old"], "not before its port answered");
  assert.ok(table.hasPending("hello"));
  table.update("new", { problem: "port 8080 refused the connection" });
  assert.equal(table.problems("hello"), "faaso-hello-new: port 8080 refused the connection");
  table.update("new", { probed: true, problem: undefined });
  const after = new Set(Array.from({ length: 6 }, () => table.pick("hello")?.id));
  assert.deepEqual([...after].sort(), ["new", "old"], "then beside the healthy one: no Docker verdict to wait for");
  assert.equal(table.problems("hello"), "");
  assert.equal(table.get("new")?.origin, "http://172.18.0.13:8080", "its own port");
  table.update("new", { running: false });
  table.upsert(instance("new", { health: "none", port: 8080, healthPath: null }));
  assert.equal(table.get("new")?.probed, false, "a restarted instance proves itself anew");
});

Deno.test("RoutingTable routes a starting instance once the proxy's probe answered", () => {
  const table = new RoutingTable();
  table.upsert(instance("a", { health: "starting" }));
  assert.equal(table.pick("hello"), undefined);
  assert.ok(table.hasPending("hello"));
  table.update("a", { probed: true });
  assert.equal(table.pick("hello")?.id, "a");
  table.update("a", { health: "unhealthy" });
  assert.equal(table.pick("hello"), undefined, "Docker's unhealthy wins over the probe");
});

Deno.test("RoutingTable picks the instance with the fewest requests in flight", () => {
  const table = new RoutingTable();
  const a = table.upsert(instance("a"));
  const b = table.upsert(instance("bb"));
  a.inFlight = 3;
  b.inFlight = 1;
  for (let i = 0; i < 5; i++) assert.equal(table.pick("hello"), b);
  b.inFlight = 3;
  const both = new Set(Array.from({ length: 4 }, () => table.pick("hello")?.id));
  assert.deepEqual([...both].sort(), ["a", "bb"], "equals take turns");
  assert.equal(table.pick("hello", a), b, "a retry skips the instance that failed");
});

Deno.test("RoutingTable stops routing to a stopped or suspect instance and forgets destroyed ones", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.update("a", { running: false });
  assert.equal(table.pick("hello"), undefined);
  assert.ok(table.knows("hello"));
  table.upsert(instance("a"));
  assert.equal(table.pick("hello")?.id, "a", "a restarted instance routes again");
  table.update("a", { suspect: true });
  assert.equal(table.pick("hello"), undefined);
  table.remove("a");
  assert.equal(table.knows("hello"), false);
});

Deno.test("RoutingTable.waitForReady resolves when an instance turns ready, or undefined after the timeout", async () => {
  const table = new RoutingTable();
  table.upsert(instance("a", { health: "starting" }));
  const waiting = table.waitForReady("hello", 5000);
  setTimeout(() => table.update("a", { health: "healthy" }), 20);
  assert.equal((await waiting)?.id, "a");
  assert.equal(await table.waitForReady("nobody", 30), undefined);
  const abort = new AbortController();
  const aborted = table.waitForReady("nobody", 5000, abort.signal);
  abort.abort();
  assert.equal(await aborted, undefined);
});

Deno.test("RoutingTable.replaceAll drops instances that are gone", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.upsert(instance("bb"));
  table.replaceAll([instance("bb"), instance("ccc")]);
  assert.deepEqual(Object.values(table.snapshot()).flat().map((e) => e.id).sort(), ["bb", "ccc"]);
});

Deno.test("RoutingTable routes a probed starting instance only while no healthy one exists", () => {
  const table = new RoutingTable();
  table.upsert(instance("new", { health: "starting" }));
  table.update("new", { probed: true });
  assert.equal(table.pick("hello")?.id, "new", "a cold start uses the probe");
  table.upsert(instance("old"));
  const picked = new Set(Array.from({ length: 6 }, () => table.pick("hello")?.id));
  assert.deepEqual([...picked], ["old"], "beside a healthy instance, Docker's verdict is awaited");
});

Deno.test("RoutingTable sends nothing new to a draining instance", () => {
  const table = new RoutingTable();
  table.upsert(instance("old"));
  table.upsert(instance("new"));
  table.update("old", { draining: true });
  for (let i = 0; i < 4; i++) assert.equal(table.pick("hello")?.id, "new");
  assert.equal(table.hasPending("hello"), false);
});

Deno.test("RoutingTable sends nothing to a funko put to sleep, new instances included, until it is given back", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  table.setAsleep("hello", true);
  assert.equal(table.pick("hello"), undefined);
  assert.equal(table.hasPending("hello"), false, "an asleep funko waits for a wake, not for its instances");
  table.upsert(instance("bb"));
  assert.equal(table.pick("hello"), undefined, "an instance started meanwhile is asleep too");
  assert.ok(table.isAsleep("hello"));
  table.setAsleep("hello", false);
  assert.ok(table.pick("hello"));
});

Deno.test("RoutingTable.markReady routes a woken instance whatever Docker's stale verdict, until its next one", () => {
  const table = new RoutingTable();
  table.upsert(instance("a", { state: "paused", health: "healthy" }));
  assert.deepEqual(table.counts("hello"), {
    live: 0,
    ready: 0,
    paused: 1,
    stopped: 0,
    draining: 0,
    starting: 0,
    spares: 0,
    sparesReady: 0,
  });
  table.markReady(instance("a", { state: "running", health: "unhealthy" }));
  assert.equal(table.pick("hello")?.id, "a");
  // The unpause event's listing comes after: still routed.
  table.upsert(instance("a", { state: "running", health: "unhealthy" }));
  assert.equal(table.pick("hello")?.id, "a");
  // Docker's next verdict wins again.
  table.update("a", { health: "unhealthy", trusted: false });
  assert.equal(table.pick("hello"), undefined);
});

Deno.test("RoutingTable counts requests in flight and arrivals per funko", () => {
  const table = new RoutingTable();
  const a = table.upsert(instance("a"));
  const b = table.upsert(instance("bb", { health: "starting" }));
  a.inFlight = 2;
  b.inFlight = 1;
  assert.equal(table.inFlight("hello"), 3);
  const before = table.arrivals("hello");
  table.pick("hello");
  table.pick("hello", a);
  assert.equal(table.arrivals("hello") - before, 1, "a retry is no new arrival");
  assert.deepEqual(table.counts("hello"), {
    live: 2,
    ready: 1,
    paused: 0,
    stopped: 0,
    draining: 0,
    starting: 1,
    spares: 0,
    sparesReady: 0,
  });
});

Deno.test("RoutingTable.pick skips every instance a retry already tried", () => {
  const table = new RoutingTable();
  const [a, b, c] = ["a", "bb", "ccc"].map((id) => table.upsert(instance(id)));
  for (let i = 0; i < 6; i++) assert.equal(table.pick("hello", new Set([a!, b!])), c);
  assert.notEqual(table.pick("hello", a), a);
  assert.equal(table.pick("hello", new Set([a!, b!, c!])), undefined, "none left");
});

Deno.test("RoutingTable never routes a warm spare and counts it apart, until it is taken", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  // Being made: running, healthy by Docker and probed, and still no traffic.
  table.upsert(instance("s", { name: "faaso-hello-spare-abc123", spare: true, health: "healthy" }));
  table.update("s", { probed: true });
  for (let i = 0; i < 4; i++) assert.equal(table.pick("hello")?.id, "a");
  let counts = table.counts("hello");
  assert.deepEqual([counts.live, counts.ready, counts.starting, counts.spares, counts.sparesReady], [1, 1, 0, 1, 0]);
  table.upsert(instance("s", { name: "faaso-hello-spare-abc123", spare: true, state: "paused" }));
  counts = table.counts("hello");
  assert.deepEqual([counts.live, counts.paused, counts.spares, counts.sparesReady], [1, 0, 1, 1]);
  // Taken: renamed and thawed, probed by the autoscaler.
  table.markReady(instance("s", { name: "faaso-hello-k2j4m1", state: "running" }));
  const picked = new Set(Array.from({ length: 4 }, () => table.pick("hello")?.id));
  assert.deepEqual([...picked].sort(), ["a", "s"]);
  counts = table.counts("hello");
  assert.deepEqual([counts.live, counts.spares], [2, 0]);
});
