import assert from "node:assert/strict";
import type { Instance } from "../../../core/instances.ts";
import type { ServerRequest } from "../../../http1/mod.ts";
import { drainInTable, RoutingTable } from "../routing_table.ts";
import { acceptRelayed, relayHeaders, relayToken } from "./relay.ts";
import { sharedCountsBuffer, ThreadCounts } from "./shared_counts.ts";

function instance(id: string, change: Partial<Instance> = {}): Instance {
  return {
    id,
    name: `faaso-hello-${id}`,
    funko: "hello",
    state: "running",
    health: "healthy",
    address: "172.18.0.9",
    port: 3000,
    healthPath: "/ping",
    imageId: "sha256:1",
    created: new Date(),
    ...change,
  };
}

/** A main table with one worker's copy fed by hand, as the messages would, counting in shared memory. */
function mainAndWorker() {
  const buffer = sharedCountsBuffer(2);
  const main = new RoutingTable();
  const worker = new RoutingTable();
  worker.countInto(new ThreadCounts(buffer, 1));
  let settledCalls = 0;
  const sent: string[] = [];
  const sync = () => {
    for (const funko of sent.splice(0)) worker.applyRoutes(main.routeState(funko));
  };
  main.attachReplicas({
    changed: (funko) => sent.push(funko),
    settled: () => {
      settledCalls++;
      sync();
      return Promise.resolve();
    },
  });
  return { buffer, main, worker, sync, settledCalls: () => settledCalls };
}

Deno.test("a worker's copy of the routes picks what the main table would", () => {
  const { buffer, main, worker, sync } = mainAndWorker();
  main.countInto(new ThreadCounts(buffer, 0));
  main.upsert(instance("a"));
  main.upsert(instance("b", { health: "starting" }));
  sync();
  assert.equal(worker.pick("hello")?.id, "a");
  main.update("a", { draining: true });
  main.update("b", { health: "healthy" });
  sync();
  assert.deepEqual(new Set(Array.from({ length: 4 }, () => worker.pick("hello")?.id)), new Set(["b"]));
  main.remove("b");
  main.setAsleep("hello", true);
  sync();
  assert.equal(worker.pick("hello"), undefined);
  assert.ok(worker.knows("hello"), "a's routes are still there (draining)");
});

Deno.test("the main table counts a worker's requests in flight and arrivals; picks weigh every thread's", () => {
  const { buffer, main, worker, sync } = mainAndWorker();
  const mainEndpoint = main.upsert(instance("a"));
  main.upsert(instance("b"));
  // Counted before the threads started: kept.
  main.started(mainEndpoint);
  main.countInto(new ThreadCounts(buffer, 0));
  main.finished(mainEndpoint);
  sync();
  const arrivals = main.arrivals("hello");
  const picked = worker.get("a")!;
  worker.started(picked);
  worker.started(picked);
  assert.equal(main.inFlight("hello"), 2);
  assert.equal(main.inFlightOf(mainEndpoint), 2);
  assert.equal(main.snapshot().hello!.find((e) => e.id === "a")!.inFlight, 2);
  // The main thread sends new requests to b, the one with fewer in flight in all threads.
  assert.deepEqual(new Set(Array.from({ length: 4 }, () => main.pick("hello")?.id)), new Set(["b"]));
  assert.equal(main.arrivals("hello"), arrivals + 4);
  worker.pick("hello");
  assert.equal(main.arrivals("hello"), arrivals + 5);
  worker.finished(picked);
  worker.finished(picked);
  assert.equal(main.inFlight("hello"), 0);
});

Deno.test("a drain waits for the workers to apply it, then for their requests in flight", async () => {
  const { buffer, main, worker, sync, settledCalls } = mainAndWorker();
  main.countInto(new ThreadCounts(buffer, 0));
  main.upsert(instance("a"));
  main.upsert(instance("b"));
  sync();
  const a = worker.get("a")!;
  worker.started(a);
  let drained = false;
  const drain = drainInTable(main, ["a"], 5000).then(() => drained = true);
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(settledCalls(), 1);
  assert.equal(drained, false, "drained with a request in flight in the worker");
  assert.deepEqual(new Set(Array.from({ length: 4 }, () => worker.pick("hello")?.id)), new Set(["b"]));
  worker.finished(a);
  await drain;
  assert.ok(drained);
});

Deno.test("relayed requests keep the client's address and Host; a wrong token is refused", () => {
  const token = relayToken();
  assert.match(token, /^[0-9a-f]{48}$/);
  const client = request(
    [
      ["host", "example.com"],
      ["connection", "keep-alive, x-drop"],
      ["x-drop", "1"],
      ["x-faaso-client", "1 203.0.113.9"],
      ["x-faaso-relay", "guess"],
      ["accept", "*/*"],
    ],
    "198.51.100.7",
    41000,
  );
  const headers = relayHeaders(client, token);
  assert.deepEqual(headers.filter(([name]) => name.startsWith("x-faaso-")), [
    ["x-faaso-relay", token],
    ["x-faaso-client", "41000 198.51.100.7"],
    ["x-faaso-host", "example.com"],
  ]);
  assert.ok(!headers.some(([name]) => name === "connection" || name === "x-drop"));

  // What the main thread's relay listener reads: the worker's headers with its own Host.
  const relayed = request([["host", "127.0.0.1:40000"], ...headers], "127.0.0.1", 50000);
  assert.ok(acceptRelayed(relayed, token));
  assert.deepEqual(relayed.remoteAddr, { transport: "tcp", hostname: "198.51.100.7", port: 41000 });
  assert.deepEqual(relayed.headers, [["accept", "*/*"], ["host", "example.com"]]);

  const forged = request([
    ["host", "x"],
    ...headers.map(([n, v]): [string, string] => [n, n === "x-faaso-relay" ? "no" : v]),
  ]);
  assert.equal(acceptRelayed(forged, token), false);
  assert.equal(acceptRelayed(request([["host", "x"]]), token), false);
});

function request(headers: [string, string][], hostname = "127.0.0.1", port = 1): ServerRequest {
  return {
    method: "GET",
    target: "/admin/",
    headers,
    body: null,
    remoteAddr: { transport: "tcp", hostname, port },
    header: (name: string) => headers.find(([key]) => key === name)?.[1],
  } as unknown as ServerRequest;
}
