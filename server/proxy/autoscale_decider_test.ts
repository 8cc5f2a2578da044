import assert from "node:assert/strict";
import { AutoscaleDecider, ConcurrencyWindow, type DeciderSpec } from "./autoscale_decider.ts";

const spec: DeciderSpec = { concurrency: 10, min: 1, max: 20 };

Deno.test("ConcurrencyWindow averages the samples of a trailing window and forgets older ones", () => {
  const window = new ConcurrencyWindow(10_000);
  for (let t = 0; t < 10_000; t += 1000) window.add(t, t < 5000 ? 0 : 10);
  assert.equal(window.average(9000, 10_000), 5);
  assert.equal(window.average(9000, 3000), 10, "the last 3 s only");
  assert.equal(window.peak(9000, 10_000), 10);

  window.add(20_000, 4);
  assert.equal(window.average(20_000, 10_000), 4, "samples older than the window are gone");
  assert.equal(new ConcurrencyWindow().average(0, 6000), 0);
  assert.equal(window.peak(20_000, 1000), 4);
  assert.equal(new ConcurrencyWindow().peak(0, 1000), 0);
});

Deno.test("AutoscaleDecider wants ceil(in flight / (concurrency x 0.7)) within min..max", () => {
  const target = (s: DeciderSpec, stable: number, live: number) =>
    new AutoscaleDecider().decide(s, { now: 0, stable, panic: stable, ready: live, live }).target;
  // 14 in flight at 10 per instance (7 with the 70 % margin): 2 instances.
  assert.equal(target(spec, 14, 2), 2);
  assert.equal(target(spec, 14.1, 3), 3);
  assert.equal(target({ ...spec, max: 2 }, 70, 2), 2, "not above max");
  assert.equal(target({ ...spec, min: 0 }, 0, 1), 1, "never to zero: that is the sleeper's");
  assert.equal(target({ ...spec, min: 3 }, 0, 3), 3, "not below min");
});

Deno.test("AutoscaleDecider scales up at once and down by at most half per decision", () => {
  const decider = new AutoscaleDecider();
  assert.equal(decider.decide(spec, { now: 0, stable: 70, panic: 70, ready: 10, live: 10 }).target, 10);
  const targets = [];
  let live = 10;
  for (let now = 1000; live > 1; now += 1000) {
    live = decider.decide(spec, { now, stable: 0, panic: 0, ready: live, live }).target;
    targets.push(live);
  }
  assert.deepEqual(targets, [5, 3, 2, 1]);
  const up = decider.decide(spec, { now: 9000, stable: 120, panic: 120, ready: 1, live: 1 });
  assert.equal(up.target, 18, "from 1 to 18 in one decision");
});

Deno.test("AutoscaleDecider panics on a burst twice what serves, follows the panic window, holds a stable window", () => {
  const decider = new AutoscaleDecider();
  const calm = decider.decide(spec, { now: 0, stable: 5, panic: 5, ready: 1, live: 1 });
  assert.deepEqual([calm.target, calm.panicking], [1, false]);
  // A burst: the 6 s window sees 42 in flight (6 instances' worth), the 60 s one barely moved.
  const burst = decider.decide(spec, { now: 1000, stable: 8, panic: 42, ready: 1, live: 1 });
  assert.deepEqual([burst.target, burst.panicking], [6, true]);
  // The burst is over by the panic window's count, but no scale-down while panicking.
  const after = decider.decide(spec, { now: 10_000, stable: 9, panic: 1, ready: 6, live: 6 });
  assert.deepEqual([after.target, after.panicking], [6, true]);
  // A whole stable window after the last burst: calm again, and down by half.
  const calmAgain = decider.decide(spec, { now: 61_000, stable: 2, panic: 1, ready: 6, live: 6 });
  assert.deepEqual([calmAgain.target, calmAgain.panicking], [3, false]);
  // Below twice what serves (3 wanted, 2 serve), no panic: the stable window decides.
  const mild = new AutoscaleDecider().decide(spec, { now: 0, stable: 10, panic: 20, ready: 2, live: 2 });
  assert.deepEqual([mild.target, mild.panicking], [2, false]);
});
