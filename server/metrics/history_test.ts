import assert from "node:assert/strict";
import { FunkoHistory, SPARK_STEPS, statusClass, STEP_MS, STEPS } from "./history.ts";

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0); // on a 10-second boundary

Deno.test("statusClass folds statuses into 1xx..5xx", () => {
  assert.deepEqual([101, 200, 204, 308, 404, 499, 500, 504, 99, 600].map(statusClass), [0, 1, 1, 2, 3, 3, 4, 4, 0, 4]);
});

Deno.test("FunkoHistory.summary counts the window's requests, errors and percentiles", () => {
  const history = new FunkoHistory(T0);
  for (let i = 0; i < 90; i++) history.record(200, 2);
  for (let i = 0; i < 10; i++) history.record(503, 40);
  history.rotate(T0 + STEP_MS, 1);
  for (let i = 0; i < 100; i++) history.record(200, 2);
  const summary = history.summary(60, T0 + 15_000);
  assert.equal(summary.requests, 200);
  assert.equal(summary.errors, 10);
  assert.equal(summary.seconds, 15, "only as long as the history exists");
  assert.ok(Math.abs(summary.p50Ms! - 2) < 0.2, `p50 ${summary.p50Ms}`);
  assert.ok(Math.abs(summary.p99Ms! - 40) < 4, `p99 ${summary.p99Ms}`);
});

Deno.test("FunkoHistory forgets steps older than the window and the hour", () => {
  const history = new FunkoHistory(T0);
  history.record(200, 1);
  history.rotate(T0 + 2 * 60_000, 2);
  assert.equal(history.summary(60, T0 + 2 * 60_000 + 1000).requests, 0, "two minutes later, not in the last minute");
  assert.equal(history.summary(3600, T0 + 2 * 60_000 + 1000).requests, 1, "but in the last hour");
  assert.ok(!history.quiet);
  history.rotate(T0 + STEPS * STEP_MS + STEP_MS, 2);
  assert.equal(history.summary(3600, T0 + STEPS * STEP_MS + STEP_MS).requests, 0);
  assert.ok(history.quiet, "an hour later it is gone");
});

Deno.test("FunkoHistory.points gives per-step rates, percentiles and instances, the last one now", () => {
  const history = new FunkoHistory(T0);
  for (let i = 0; i < 50; i++) history.record(200, 1);
  for (let i = 0; i < 20; i++) history.record(404, 1);
  history.rotate(T0 + STEP_MS, 3);
  history.rotate(T0 + 2 * STEP_MS, 3); // an empty step
  for (let i = 0; i < 10; i++) history.record(500, 100);
  const points = history.points(3600, T0 + 2 * STEP_MS + 5000, 2);
  assert.equal(points.length, 3, "only steps since the history began");
  assert.deepEqual(points[0]!.rps, [0, 5, 0, 2, 0]);
  assert.equal(points[0]!.instances, 3);
  assert.deepEqual(points[1]!.rps, [0, 0, 0, 0, 0]);
  assert.equal(points[1]!.p50Ms, null, "no request, no latency");
  assert.deepEqual(points[2]!.rps, [0, 0, 0, 0, 2], "10 in the 5 s of the step so far");
  assert.equal(points[2]!.instances, 2, "the last point: instances now");
  assert.ok(Math.abs(points[2]!.p99Ms! - 100) < 10);
  assert.equal(points[2]!.t, T0 + 2 * STEP_MS);
});

Deno.test("FunkoHistory.spark has a value per step of the last 15 minutes", () => {
  const history = new FunkoHistory(T0);
  history.record(200, 1);
  history.rotate(T0 + STEP_MS, 1);
  history.record(200, 1);
  history.record(200, 1);
  const spark = history.spark();
  assert.equal(spark.length, SPARK_STEPS);
  assert.deepEqual(spark.slice(-3), [0, 1, 2]);
});
