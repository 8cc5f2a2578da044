import assert from "node:assert/strict";
import { FunkoSettings } from "../manifest.ts";
import { funkoServiceSpec, monitorNanos, replicasOf, secretReference } from "./spec.ts";
import { secretVersionName } from "./secret_versions.ts";

const settings = FunkoSettings.parse({
  env: { GREETING: "hi" },
  memory: "256m",
  cpus: 0.5,
  drain: "5s",
  healthcheck: { interval: "1s", timeout: "2s", retries: 3 },
});

Deno.test("funkoServiceSpec: the same labels, env, limits, healthcheck and /secrets as a container instance", () => {
  const spec = funkoServiceSpec({
    funko: "hello",
    image: "reg:5000/faaso-hello:20261130T103024Z@sha256:abc",
    settings,
    replicas: 3,
    secrets: [secretReference("token", "id1", "faaso-hello-token-abc")],
  });
  assert.equal(spec.Name, "faaso-hello");
  assert.deepEqual(spec.Labels, {
    "faaso.funko": "hello",
    "faaso.role": "instance",
    "faaso.port": "3000",
    "faaso.health": "none",
  });
  const container = spec.TaskTemplate.ContainerSpec;
  assert.deepEqual(container.Labels, spec.Labels);
  assert.equal(container.Hostname, "hello");
  assert.deepEqual(container.Env, ["GREETING=hi", "FAASO_FUNKO=hello", "FAASO_INSTANCE={{.Task.Name}}"]);
  assert.deepEqual(container.Healthcheck, { Interval: 1e9, Timeout: 2e9, StartPeriod: 30e9, Retries: 3 });
  assert.equal(container.StopGracePeriod, 5e9);
  assert.deepEqual(container.Secrets, [{
    File: { Name: "/secrets/token", UID: "10001", GID: "10001", Mode: 0o400 },
    SecretID: "id1",
    SecretName: "faaso-hello-token-abc",
  }]);
  assert.deepEqual(spec.TaskTemplate.Resources, { Limits: { MemoryBytes: 256 * 1024 * 1024, NanoCPUs: 5e8 } });
  assert.deepEqual(spec.TaskTemplate.Networks, [{ Target: "faaso-net", Aliases: ["hello"] }]);
  assert.equal(replicasOf(spec), 3);
  assert.equal(spec.EndpointSpec?.Mode, "dnsrr");
  assert.deepEqual(spec.UpdateConfig, {
    Parallelism: 1,
    Delay: 0,
    FailureAction: "rollback",
    Monitor: 5e9,
    MaxFailureRatio: 0,
    Order: "start-first",
  });
  assert.equal(spec.RollbackConfig?.Order, "start-first");
});

Deno.test("funkoServiceSpec keeps placement a user added by hand, and a healthcheck command becomes the test", () => {
  const first = funkoServiceSpec({ funko: "hello", image: "i", settings, replicas: 1, secrets: [] });
  first.TaskTemplate.Placement = { Constraints: ["node.labels.zone==a"] };
  first.TaskTemplate.ForceUpdate = 4;
  const withCommand = FunkoSettings.parse({ healthcheck: { command: "curl -f localhost:3000/ping" } });
  const next = funkoServiceSpec({
    funko: "hello",
    image: "j",
    settings: withCommand,
    replicas: 1,
    secrets: [],
    current: first,
  });
  assert.deepEqual(next.TaskTemplate.Placement, { Constraints: ["node.labels.zone==a"] });
  assert.equal(next.TaskTemplate.ForceUpdate, 4);
  assert.deepEqual(next.TaskTemplate.ContainerSpec.Healthcheck?.Test, ["CMD-SHELL", "curl -f localhost:3000/ping"]);
});

Deno.test("monitorNanos covers a healthy task turning unhealthy, at least Docker's 5 s", () => {
  assert.equal(monitorNanos(settings), 5e9);
  assert.equal(monitorNanos(FunkoSettings.parse({})), 5e9 * 3 + 3e9);
});

Deno.test("secretVersionName stays within Swarm's 64 characters and its alphabet", async () => {
  assert.equal(await secretVersionName("hello", "token", "mabc12"), "faaso-hello-token-mabc12");
  const long = await secretVersionName("a".repeat(40), "b".repeat(40), "mabc12");
  assert.match(long, /^faaso-[0-9a-f]{16}-mabc12$/);
  assert.equal(long, await secretVersionName("a".repeat(40), "b".repeat(40), "mabc12"), "stable");
});

Deno.test("funkoServiceSpec: the funko's own port and health path ride on its tasks, as on containers", () => {
  const own = FunkoSettings.parse({ port: 8080, health: "/healthz" });
  const spec = funkoServiceSpec({ funko: "web", image: "i", settings: own, replicas: 1, secrets: [] });
  const labels = spec.TaskTemplate.ContainerSpec.Labels ?? {};
  assert.equal(labels["faaso.port"], "8080");
  assert.equal(labels["faaso.health"], "/healthz");
});
