import assert from "node:assert/strict";
import { DURATION_BUCKETS, FixedHistogram, LATENCY_SLOTS, latencySlot, quantileMs, slotStartMs } from "./histogram.ts";

Deno.test("FixedHistogram puts a value in the first bucket whose bound is not below it", () => {
  const histogram = new FixedHistogram(DURATION_BUCKETS);
  for (const value of [0.001, 0.005, 0.0051, 10, 11]) histogram.observe(value);
  assert.equal(histogram.counts[0], 2, "0.001 and 0.005 (le is inclusive)");
  assert.equal(histogram.counts[1], 1, "0.0051");
  assert.equal(histogram.counts[DURATION_BUCKETS.length - 1], 1, "10");
  assert.equal(histogram.counts[DURATION_BUCKETS.length], 1, "11, above every bound");
  assert.equal(histogram.count, 5);
  assert.ok(Math.abs(histogram.sum - 21.0111) < 1e-9);
});

Deno.test("latencySlot and quantileMs stay within 10% from 0.2 ms to 60 s", () => {
  for (const ms of [0.2, 0.45, 1, 3.3, 17, 120, 999, 4000, 60_000]) {
    const slots = new Uint32Array(LATENCY_SLOTS);
    slots[latencySlot(ms)]!++;
    const estimate = quantileMs(slots, 0.5)!;
    assert.ok(Math.abs(estimate - ms) / ms < 0.1, `${ms} ms read as ${estimate}`);
    assert.ok(slotStartMs(latencySlot(ms)) <= ms && ms < slotStartMs(latencySlot(ms) + 1), `${ms} in its slot`);
  }
  assert.equal(latencySlot(0), 0);
  assert.equal(latencySlot(1e9), LATENCY_SLOTS - 1, "beyond 100 s: the last slot");
});

Deno.test("quantileMs finds p50 and p99 by rank; null without data", () => {
  const slots = new Uint32Array(LATENCY_SLOTS);
  slots[latencySlot(1)] = 98; // 98 requests of ~1 ms
  slots[latencySlot(500)] = 2; // 2 of ~500 ms
  assert.ok(Math.abs(quantileMs(slots, 0.5)! - 1) < 0.1);
  assert.ok(Math.abs(quantileMs(slots, 0.98)! - 1) < 0.1, "the 98th is still fast");
  assert.ok(Math.abs(quantileMs(slots, 0.99)! - 500) < 50, "the 99th is slow");
  assert.equal(quantileMs(new Uint32Array(LATENCY_SLOTS), 0.5), null);
});
