import assert from "node:assert/strict";
import type { Instance } from "../../core/instances.ts";
import { RoutingTable } from "../proxy/routing_table.ts";
import { escapeLabelValue, formatValue } from "./exposition.ts";
import { callMetrics } from "./calls_source.ts";
import { Metrics } from "./metrics.ts";
import { MAX_FUNKOS, Traffic } from "./traffic.ts";

function instance(id: string, change: Partial<Instance> = {}): Instance {
  return {
    id,
    name: `faaso-hello-${id}`,
    funko: "hello",
    state: "running",
    health: "healthy",
    address: "172.18.0.10",
    port: 3000,
    healthPath: "/ping",
    imageId: "sha256:1",
    created: new Date(),
    ...change,
  };
}

/** The samples of an exposition as `name{labels}` -> value, checking every line's shape. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  assert.ok(text.endsWith("\n"));
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    out.set(`${match[1]}${match[2] ?? ""}`, Number(match[3]!.replace("+Inf", "Infinity")));
  }
  return out;
}

Deno.test("Metrics.render writes requests, durations, instances and in-flight requests per funko", async () => {
  const table = new RoutingTable();
  const ready = table.upsert(instance("a"));
  ready.inFlight = 2;
  table.upsert(instance("b", { health: "starting" }));
  table.upsert(instance("c", { state: "exited" }));
  const metrics = new Metrics({ table, connections: () => ({ client: 7, upstream: 3 }) });
  metrics.traffic.record("hello", 200, "GET", 0.003);
  metrics.traffic.record("hello", 200, "GET", 0.2);
  metrics.traffic.record("hello", 200, "BREW", 0.2);
  metrics.traffic.record("hello", 502, "POST", 12);
  metrics.traffic.recordUpstreamError("hello", "connect");
  metrics.traffic.recordUpstreamError("hello", "aborted");
  metrics.traffic.waiting("hello", 1);
  metrics.recordWake("hello", 15);
  const text = await metrics.render();
  const s = samples(text);
  assert.equal(s.get('faaso_requests_total{funko="hello",code="200",method="GET"}'), 2);
  assert.equal(s.get('faaso_requests_total{funko="hello",code="200",method="_OTHER"}'), 1, "BREW folded");
  assert.equal(s.get('faaso_requests_total{funko="hello",code="502",method="POST"}'), 1);
  assert.equal(s.get('faaso_request_duration_seconds_bucket{funko="hello",code="200",le="0.005"}'), 1);
  assert.equal(s.get('faaso_request_duration_seconds_bucket{funko="hello",code="200",le="0.25"}'), 3);
  assert.equal(s.get('faaso_request_duration_seconds_bucket{funko="hello",code="502",le="10"}'), 0);
  assert.equal(s.get('faaso_request_duration_seconds_bucket{funko="hello",code="502",le="+Inf"}'), 1);
  assert.equal(s.get('faaso_request_duration_seconds_count{funko="hello",code="200"}'), 3);
  assert.equal(s.get('faaso_instances{funko="hello",state="ready"}'), 1);
  assert.equal(s.get('faaso_instances{funko="hello",state="starting"}'), 1);
  assert.equal(s.get('faaso_instances{funko="hello",state="stopped"}'), 1);
  assert.equal(s.get('faaso_instances{funko="hello",state="draining"}'), 0);
  assert.equal(s.get('faaso_requests_in_flight{funko="hello"}'), 3, "2 in flight, 1 waiting");
  assert.equal(s.get('faaso_upstream_errors_total{funko="hello",kind="connect"}'), 1);
  assert.ok(!text.includes('kind="aborted"'), "a client leaving is no upstream error");
  assert.equal(s.get('faaso_wakes_total{funko="hello"}'), 1);
  assert.equal(s.get('faaso_wake_duration_seconds_bucket{funko="hello",le="0.025"}'), 1);
  assert.equal(s.get('faaso_open_connections{side="client"}'), 7);
  assert.equal(s.get('faaso_open_connections{side="upstream"}'), 3);
  assert.ok(s.get("process_resident_memory_bytes")! > 1e6);
  assert.ok(s.has("faaso_event_loop_delay_seconds_count"));
  assert.match(text, /# TYPE faaso_request_duration_seconds histogram\n/);
  for (const name of ["faaso_requests_total", "faaso_wakes_total", "faaso_upstream_errors_total"]) {
    assert.match(text, new RegExp(`# TYPE ${name} counter\n`));
  }
});

Deno.test("Metrics.render: a source adds its families at each scrape", async () => {
  const metrics = new Metrics({ table: new RoutingTable() });
  let depth = 4;
  metrics.addSource((text) => {
    text.family("faaso_calls_queued", "gauge", "Async calls waiting").sample(
      "faaso_calls_queued",
      [["funko", "a"]],
      depth,
    );
  });
  assert.equal(samples(await metrics.render()).get('faaso_calls_queued{funko="a"}'), 4);
  depth = 1;
  assert.equal(samples(await metrics.render()).get('faaso_calls_queued{funko="a"}'), 1);
});

Deno.test("Traffic keeps the series bounded: methods folded, funkos capped, quiet funkos forgotten", () => {
  let now = Date.UTC(2026, 0, 1);
  const instances = new Map<string, number>();
  const traffic = new Traffic({ now: () => now, readyInstances: () => instances });
  for (const method of ["GET", "get", "PROPFIND", "X".repeat(100)]) traffic.record("a", 200, method, 0.001);
  assert.equal(traffic.get("a")!.codes.get(200)!.byMethod.filter((n) => n > 0).length, 2, "GET and _OTHER");
  for (let i = 0; i < MAX_FUNKOS + 10; i++) traffic.record(`f${i}`, 200, "GET", 0.001);
  assert.equal([...traffic.entries()].length, MAX_FUNKOS);
  assert.equal(traffic.get(`f${MAX_FUNKOS + 5}`), undefined);
  instances.set("f1", 1);
  instances.set("with-instances-only", 0);
  now += 3620_000;
  traffic.tick(now);
  assert.deepEqual([...traffic.entries()].map(([name]) => name).sort(), ["f1", "with-instances-only"]);
});

Deno.test("escapeLabelValue and formatValue follow the text format", () => {
  assert.equal(escapeLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
  assert.equal(formatValue(Infinity), "+Inf");
  assert.equal(formatValue(NaN), "NaN");
  assert.equal(formatValue(0.005), "0.005");
  assert.equal(formatValue(12), "12");
});

Deno.test("Metrics.report sums the last minute per funko with instances and a sparkline", () => {
  const table = new RoutingTable();
  table.upsert(instance("a"));
  const metrics = new Metrics({ table });
  for (let i = 0; i < 99; i++) metrics.traffic.record("hello", 200, "GET", 0.001);
  metrics.traffic.record("hello", 500, "GET", 0.3);
  const report = metrics.report(60);
  const hello = report.funkos.hello!;
  assert.equal(hello.requests, 100);
  assert.equal(hello.errors, 1);
  assert.equal(hello.errorRate, 0.01);
  assert.ok(Math.abs(hello.p50Ms! - 1) < 0.1);
  assert.deepEqual(hello.instances, { ready: 1, total: 1 });
  assert.equal(hello.spark.at(-1), 100);
});

Deno.test("callMetrics writes the call store's counts as gauges and counters", async () => {
  const metrics = new Metrics({ table: new RoutingTable() });
  metrics.addSource(callMetrics({
    counts: () =>
      Promise.resolve({
        hello: { queued: 3, running: 1, failed: 2, done: 7, acceptedTotal: 13, deliveredTotal: 8, failedTotal: 2 },
      }),
  }));
  const s = samples(await metrics.render());
  assert.equal(s.get('faaso_calls{funko="hello",state="queued"}'), 3);
  assert.equal(s.get('faaso_calls{funko="hello",state="failed"}'), 2);
  assert.equal(s.get('faaso_calls_total{funko="hello",outcome="accepted"}'), 13);
  assert.equal(s.get('faaso_calls_total{funko="hello",outcome="delivered"}'), 8);
});
