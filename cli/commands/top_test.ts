import assert from "node:assert/strict";
import { sparkline } from "./top.ts";

Deno.test("sparkline draws one mark a minute from 10-second steps, dots for quiet minutes", () => {
  const steps = [...Array(6).fill(0), ...Array(6).fill(1), ...Array(6).fill(10)];
  assert.equal(sparkline(steps), "·▁█");
  assert.equal(sparkline(Array(90).fill(0)), "·".repeat(15));
  assert.equal(sparkline([]), "");
});
