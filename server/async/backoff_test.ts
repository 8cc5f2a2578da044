import assert from "node:assert/strict";
import { backoffMs, retryAfterMs } from "./backoff.ts";

const settings = { min_delay: "10s", max_delay: "120s" };

Deno.test("backoffMs doubles from min_delay and stops at max_delay", () => {
  const none = () => 0;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 10].map((n) => backoffMs(n, settings, 0, none)), [
    10_000,
    20_000,
    40_000,
    80_000,
    120_000,
    120_000,
    120_000,
  ]);
});

Deno.test("backoffMs adds up to half again as jitter, never beyond max_delay", () => {
  const most = () => 0.999999;
  assert.equal(backoffMs(1, settings, 0, most), 15_000);
  assert.equal(backoffMs(4, settings, 0, most), 120_000);
  const seen = new Set(Array.from({ length: 50 }, () => backoffMs(2, settings)));
  assert.ok(seen.size > 10, "random waits differ");
  for (const wait of seen) assert.ok(wait >= 20_000 && wait <= 30_000, `${wait} within 20-30 s`);
});

Deno.test("backoffMs honours Retry-After up to max_delay", () => {
  assert.equal(backoffMs(1, settings, 60_000, () => 0), 60_000);
  assert.equal(backoffMs(1, settings, 600_000, () => 0), 120_000);
});

Deno.test("retryAfterMs reads seconds and dates", () => {
  assert.equal(retryAfterMs("3"), 3000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 5000), 5000);
  assert.equal(retryAfterMs("soon"), 0);
  assert.equal(retryAfterMs(undefined), 0);
});
