import assert from "node:assert/strict";
import { formatMs, formatPercent, formatRate } from "./traffic.ts";

Deno.test("formatRate, formatPercent and formatMs write figures as people read them", () => {
  assert.deepEqual([0, 0.05, 3.33, 123.4, 12345].map(formatRate), ["0/s", "0.05/s", "3.3/s", "123/s", "12,345/s"]);
  assert.deepEqual([0, 0.0002, 0.004, 0.15].map(formatPercent), ["0%", "<0.1%", "0.4%", "15%"]);
  assert.deepEqual([null, 0.42, 12.4, 1300].map(formatMs), ["-", "0.42 ms", "12 ms", "1.3 s"]);
});
