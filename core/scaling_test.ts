import assert from "node:assert/strict";
import { parseManifest } from "./funko.ts";
import { settingsFromLabels, settingsOf } from "./manifest.ts";
import { autoscales, describeScaling, idleOf, initialScale, warmOf, windowsOf } from "./scaling.ts";

Deno.test("scale: N is fixed, {min, max} autoscales; both read as a range", () => {
  const fixed = settingsOf(parseManifest("name: a\nscale: 3\n"));
  assert.deepEqual(fixed.scale, { min: 3, max: 3 });
  assert.equal(autoscales(fixed), false);
  assert.equal(idleOf(fixed), null, "a fixed scale never sleeps");
  assert.equal(initialScale(fixed), 3);
  const ranged = settingsOf(parseManifest("name: a\nscale: {min: 0, max: 8}\nconcurrency: 20\n"));
  assert.deepEqual(ranged.scale, { min: 0, max: 8 });
  assert.equal(ranged.concurrency, 20);
  assert.ok(autoscales(ranged));
  assert.equal(initialScale(ranged), 1, "faaso up starts one even with min 0");
  assert.deepEqual(idleOf(ranged), { pauseAfterMs: 300_000, stopAfterMs: 1_800_000 }, "min 0 sleeps by default");
  assert.deepEqual(windowsOf(ranged), { stableMs: 60_000, panicMs: 6_000 });
  const defaults = settingsOf(parseManifest("name: a\n"));
  assert.deepEqual([defaults.scale, defaults.concurrency, defaults.hold], [{ min: 1, max: 1 }, 100, {
    queue: 1000,
    timeout: "30s",
  }]);
  assert.equal(idleOf(defaults), null, "the defaults keep today's behaviour: never asleep");
});

Deno.test("idle, hold and scale.window are read and baked into the image's settings", () => {
  const settings = settingsOf(parseManifest(
    "name: a\nscale: {min: 0, max: 4, window: 6s}\nidle: {pause_after: 2s, stop_after: never}\n" +
      "hold: {queue: 5, timeout: 1s}\n",
  ));
  assert.deepEqual(idleOf(settings), { pauseAfterMs: 2000, stopAfterMs: null });
  assert.deepEqual(settings.hold, { queue: 5, timeout: "1s" });
  assert.deepEqual(windowsOf(settings), { stableMs: 6000, panicMs: 600 });
  assert.deepEqual(settingsFromLabels({ "faaso.settings": JSON.stringify(settings) }), settings);
  assert.equal(
    describeScaling(settings),
    "autoscaled 0 to 4 at 100 requests in flight per instance over 6s; paused after 2s idle, never stopped; " +
      "requests wait up to 1s for an instance, 5 at most",
  );
  const warm = settingsOf(parseManifest("name: a\nscale: {min: 1, max: 8, warm: 2}\nconcurrency: 8\n"));
  assert.equal(warmOf(warm), 2);
  assert.equal(warmOf(settings), 0, "no spares unless asked for");
  assert.equal(
    describeScaling(warm),
    "autoscaled 1 to 8 at 8 requests in flight per instance over 60s; 2 warm spares kept paused; " +
      "requests wait up to 30s for an instance, 1000 at most",
  );
  assert.equal(
    describeScaling(settingsOf(parseManifest("name: a\nscale: 2\n"))),
    "fixed at 2; requests wait up to 30s for an instance, 1000 at most",
  );
});

Deno.test("images built before scale ranges keep their number as a fixed scale", () => {
  const old = { env: {}, scale: 2, drain: "10s" };
  const settings = settingsFromLabels({ "faaso.settings": JSON.stringify(old) });
  assert.deepEqual(settings.scale, { min: 2, max: 2 });
  assert.equal(settings.concurrency, 100);
});

Deno.test("bad scaling settings are refused naming the field and what to write", () => {
  const cases: [string, string][] = [
    [
      "scale: two",
      'scale: use a number of instances from 1 to 100 (scale: 2), or a range (scale: {min: 0, max: 8}) for autoscaling, not "two"',
    ],
    [
      "scale: 0",
      "scale: use a number of instances from 1 to 100 (scale: 2), or a range (scale: {min: 0, max: 8}) for autoscaling, not 0",
    ],
    ["scale: {min: 0}", "scale.max: is required"],
    ["scale: {min: 3, max: 2}", "scale.max: must not be below min"],
    ["scale: {min: 0, max: 4, mx: 1}", "scale: unknown field mx"],
    ["scale: {min: 0, max: 4, window: 1s}", "scale.window: use a duration from 6s to 1h"],
    [
      "scale: {min: 1, max: 3, warm: 3}",
      "scale.warm: must not be above max - min (a warm spare stands in for an instance the autoscaler may add)",
    ],
    ["scale: {min: 1, max: 3, warm: -1}", "scale.warm: Too small: expected number to be >=0"],
    [
      "scale: 3\nidle: {pause_after: 1m}",
      "idle: only a funko with scale.min 0 sleeps when idle; set scale: {min: 0, max: 3}, or remove idle",
    ],
    [
      "scale: {min: 0, max: 2}\nidle: {stop_after: soon}",
      "idle.stop_after: use a duration such as 30m or 1h, or never",
    ],
    ["scale: {min: 0, max: 2}\nidle: {pause_after: 0s}", "idle.pause_after: use a duration of at least 1ms"],
    ["hold: {queue: 0}", "hold.queue: Too small: expected number to be >=1"],
    ["concurrency: 0", "concurrency: Too small: expected number to be >=1"],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(() => parseManifest(`name: a\n${yaml}\n`, "a/funko.yml"), (error: Error) => {
      assert.equal(error.message, `a/funko.yml: ${message}`, yaml);
      return true;
    });
  }
});
