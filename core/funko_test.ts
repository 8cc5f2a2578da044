import assert from "node:assert/strict";
import { parseManifest } from "./funko.ts";
import { durationToNanos, memoryToBytes, settingsFromLabels, settingsOf } from "./manifest.ts";
import { FaasoError } from "./errors.ts";

Deno.test("parseManifest fills defaults", () => {
  const funko = parseManifest("name: hello\nruntime: deno\n");
  assert.equal(funko.name, "hello");
  assert.equal(funko.runtime, "deno");
  assert.deepEqual(funko.options, {});
  assert.deepEqual(funko.healthcheck, { interval: "5s", timeout: "3s", start_period: "30s", retries: 3 });
});

Deno.test("parseManifest accepts a funko without a runtime", () => {
  assert.equal(parseManifest("name: own-dockerfile").runtime, undefined);
});

Deno.test("parseManifest names the file and field of a bad name", () => {
  for (const name of ["Hello", "hello_world", "-hello", "hello-", "a".repeat(64), "", "héllo"]) {
    assert.throws(
      () => parseManifest(`name: "${name}"\nruntime: deno\n`, "hello/funko.yml"),
      (error: Error) => {
        assert.ok(error instanceof FaasoError);
        assert.match(
          error.message,
          /^hello\/funko\.yml: name: use lowercase letters, digits and '-' \(1-63 characters/,
        );
        return true;
      },
      name,
    );
  }
  for (const name of ["a", "hello", "hello-world-2", "a".repeat(63), "0day"]) {
    assert.equal(parseManifest(`name: "${name}"`).name, name);
  }
});

Deno.test("parseManifest says a required field is missing", () => {
  assert.throws(
    () => parseManifest("runtime: deno\n", "x/funko.yml"),
    /^FaasoError: x\/funko\.yml: name: is required$/,
  );
});

Deno.test("parseManifest names unknown fields", () => {
  assert.throws(() => parseManifest("name: a\nruntim: deno\n", "a/funko.yml"), /a\/funko\.yml: unknown field runtim/);
  assert.throws(
    () => parseManifest("name: a\nhealthcheck:\n  intervall: 5s\n", "a/funko.yml"),
    /a\/funko\.yml: healthcheck: unknown field intervall/,
  );
});

Deno.test("parseManifest reports YAML syntax errors with a line", () => {
  assert.throws(() => parseManifest("name: [a\n", "a/funko.yml"), /a\/funko\.yml: line \d+, column \d+: /);
});

Deno.test("parseManifest refuses a file that is not a mapping", () => {
  assert.throws(() => parseManifest("", "a/funko.yml"), /a\/funko\.yml: expected fields .* found an empty file/);
  assert.throws(() => parseManifest("- a\n", "a/funko.yml"), /found a list/);
});

Deno.test("parseManifest validates healthcheck durations and retries", () => {
  assert.throws(
    () => parseManifest("name: a\nhealthcheck:\n  interval: 5 seconds\n"),
    /healthcheck\.interval: use a duration/,
  );
  assert.throws(() => parseManifest("name: a\nhealthcheck:\n  retries: 0\n"), /healthcheck\.retries/);
  assert.equal(parseManifest("name: a\nhealthcheck:\n  interval: 1m30s\n").healthcheck.interval, "1m30s");
});

Deno.test("durationToNanos converts Docker durations", () => {
  assert.equal(durationToNanos("500ms"), 500e6);
  assert.equal(durationToNanos("5s"), 5e9);
  assert.equal(durationToNanos("1m30s"), 90e9);
  assert.equal(durationToNanos("1h"), 3600e9);
});

Deno.test("parseManifest refuses zero durations, which Docker refuses too", () => {
  assert.throws(
    () => parseManifest("name: a\nhealthcheck:\n  start_period: 0s\n"),
    /healthcheck\.start_period: use a duration of at least 1ms/,
  );
});

Deno.test("parseManifest validates settings: env, memory, cpus, scale, drain", () => {
  const funko = parseManifest(
    "name: a\nenv:\n  PORT: 8080\n  DEBUG: true\nmemory: 256m\ncpus: 0.5\nscale: 3\ndrain: 20s\n",
  );
  assert.deepEqual(funko.env, { PORT: "8080", DEBUG: "true" });
  assert.equal(funko.memory, "256m");
  assert.equal(funko.cpus, 0.5);
  assert.equal(funko.scale, 3);
  assert.equal(funko.drain, "20s");
  assert.throws(
    () => parseManifest("name: a\nmemory: lots\n", "a/funko.yml"),
    /a\/funko\.yml: memory: use a size such as 256m or 1g/,
  );
  assert.throws(() => parseManifest("name: a\nmemory: 1k\n"), /memory: Docker needs at least 6m/);
  assert.throws(() => parseManifest("name: a\ncpus: -1\n"), /cpus:/);
  assert.throws(() => parseManifest("name: a\nscale: 0\n"), /scale:/);
  assert.throws(() => parseManifest("name: a\nenv:\n  1BAD: x\n"), /env\.1BAD: use letters, digits and '_'/);
  assert.throws(
    () => parseManifest("name: a\nenv:\n  FAASO_FUNKO: x\n"),
    /env\.FAASO_FUNKO: FaaSO sets this one itself/,
  );
});

Deno.test("settingsFromLabels reads what a build baked in, defaults otherwise", () => {
  const settings = settingsOf(parseManifest("name: a\nscale: 2\nenv:\n  A: b\n"));
  assert.deepEqual(settingsFromLabels({ "faaso.settings": JSON.stringify(settings) }), settings);
  assert.equal(settingsFromLabels(null).scale, 1);
  assert.equal(settingsFromLabels({ "faaso.settings": "not json" }).scale, 1);
});

Deno.test("memoryToBytes reads Docker sizes", () => {
  assert.equal(memoryToBytes("256m"), 256 * 1024 * 1024);
  assert.equal(memoryToBytes("1g"), 1024 ** 3);
  assert.equal(memoryToBytes("1.5k"), 1536);
  assert.ok(Number.isNaN(memoryToBytes("lots")));
});

Deno.test("parseManifest: a value of the wrong type is not called missing", () => {
  assert.throws(
    () => parseManifest("name: hello\nscale: two\n", "x/funko.yml"),
    (error: Error) => error.message === 'x/funko.yml: scale: expected a number, got "two"',
  );
  assert.throws(
    () => parseManifest("name: hello\nenv: [A]\n", "x/funko.yml"),
    (error: Error) => error.message === 'x/funko.yml: env: expected a map, got ["A"]',
  );
});

Deno.test("parseManifest: a duration that is no duration gets one error", () => {
  assert.throws(
    () => parseManifest("name: hello\ndrain: 10 seconds\n", "x/funko.yml"),
    (error: Error) => error.message === "x/funko.yml: drain: use a duration such as 500ms, 5s, 1m or 1m30s",
  );
  assert.throws(
    () => parseManifest("name: hello\nmemory: lots\n", "x/funko.yml"),
    (error: Error) => error.message === "x/funko.yml: memory: use a size such as 256m or 1g",
  );
});

Deno.test("parseManifest: a YAML error states its position once", () => {
  assert.throws(() => parseManifest("name: a\n  b: [c\n", "x/funko.yml"), (error: Error) => {
    assert.equal((error.message.match(/line \d+/g) ?? []).length, 1, error.message);
    assert.match(error.message, /^x\/funko\.yml: line \d+, column \d+: \S/);
    return true;
  });
});
