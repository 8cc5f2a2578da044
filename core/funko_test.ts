import assert from "node:assert/strict";
import { parseManifest } from "./funko.ts";
import {
  durationToNanos,
  Healthcheck,
  healthPath,
  memoryToBytes,
  readyWhen,
  settingsFromLabels,
  settingsOf,
} from "./manifest.ts";
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

Deno.test("parseManifest takes an image funko with its port and health path", () => {
  const funko = parseManifest("name: web\nimage: registry.example.com/team/app:1.4\nport: 8080\nhealth: /healthz\n");
  assert.equal(funko.image, "registry.example.com/team/app:1.4");
  const settings = settingsOf(funko);
  assert.equal(settings.port, 8080);
  assert.equal(settings.health, "/healthz");
  assert.equal(readyWhen(settings), "GET /healthz answers 2xx or 3xx");
  assert.equal(healthPath(settings.health), "/healthz");
  const plain = settingsOf(parseManifest("name: web\nimage: nginx\n"));
  assert.deepEqual([plain.port, plain.health], [3000, "none"], "ready once port 3000 accepts connections");
  assert.equal(readyWhen(plain), "port 3000 accepts connections");
  assert.equal(healthPath(plain.health), null);
});

Deno.test("settingsOf: a runtime funko is checked at /ping, a Dockerfile of one's own at its port or path", () => {
  assert.equal(settingsOf(parseManifest("name: a\nruntime: deno\n")).health, "/ping");
  assert.equal(settingsOf(parseManifest("name: a\n")).health, "none");
  const own = settingsOf(parseManifest("name: a\nport: 5000\nhealth: /healthz\n"));
  assert.deepEqual([own.port, own.health], [5000, "/healthz"]);
});

Deno.test("parseManifest names what is wrong with image, port and health", () => {
  const cases: [string, RegExp][] = [
    ["image: Bad:Ref", /: w\/funko\.yml: image: use an image reference such as nginx:1\.27/],
    ["image: 'app:'", /image: use an image reference/],
    ["image: ''", /image: use an image reference/],
    ["image: nginx\nruntime: deno", /image: name either an image .* or a runtime .*, not both/],
    ["image: nginx\noptions:\n  x: 1", /options: options belong to runtimes; an image funko has none/],
    ["runtime: deno\nport: 8080", /port: the runtime decides it \(the shipped ones: port 3000, health \/ping\)/],
    ["runtime: deno\nhealth: /healthz", /health: the runtime decides it/],
    ["image: nginx\nport: 0", /port: use a port number from 1 to 65535/],
    ["image: nginx\nport: 70000", /port: use a port number from 1 to 65535/],
    ["image: nginx\nport: 80.5", /port: use a port number from 1 to 65535/],
    ["image: nginx\nport: '80'", /port: use a port number from 1 to 65535/],
    ["image: nginx\nhealth: healthz", /health: use an HTTP path such as \/healthz, or none/],
    ["image: nginx\nhealth: /a b", /health: use an HTTP path/],
  ];
  for (const [yaml, message] of cases) {
    assert.throws(() => parseManifest(`name: w\n${yaml}\n`, "w/funko.yml"), message, yaml);
  }
});

Deno.test("settingsFromLabels gives older images port 3000 and the port's acceptance", () => {
  const old = { env: {}, scale: 1, drain: "10s", healthcheck: Healthcheck.parse({}) };
  const settings = settingsFromLabels({ "faaso.settings": JSON.stringify(old) });
  assert.deepEqual([settings.port, settings.health], [3000, "none"]);
});
