import assert from "node:assert/strict";
import type { Instance } from "./instances.ts";
import type { ProbeResult } from "./probe.ts";
import { ReadinessTracker } from "./readiness.ts";

function instance(change: Partial<Instance> = {}): Instance {
  return {
    id: "a",
    name: "faaso-web-a",
    funko: "web",
    state: "running",
    health: "none",
    address: "172.18.0.9",
    port: 8080,
    healthPath: "/healthz",
    imageId: "sha256:1",
    created: new Date(),
    ...change,
  };
}

Deno.test("ReadinessTracker: Docker's verdict decides when there is one, the probe otherwise", async () => {
  let probes = 0;
  const tracker = new ReadinessTracker({
    probe: () => {
      probes++;
      return Promise.resolve({ ready: true });
    },
  });
  assert.deepEqual(await tracker.check(instance({ health: "healthy" })), { kind: "ready" });
  assert.deepEqual(await tracker.check(instance({ health: "starting" })), { kind: "waiting" });
  assert.deepEqual(await tracker.check(instance({ health: "unhealthy" })), { kind: "failed", reason: "is unhealthy" });
  assert.equal(probes, 0, "no probe while Docker judges");
  assert.deepEqual(await tracker.check(instance()), { kind: "ready" });
  assert.deepEqual(await tracker.check(instance()), { kind: "ready" });
  assert.equal(probes, 1, "a probe that passed is not repeated");
});

Deno.test("ReadinessTracker: a refused port keeps waiting with its reason", async () => {
  const tracker = new ReadinessTracker({
    probe: () => Promise.resolve({ ready: false, reason: "port 8080 refused the connection" }),
  });
  assert.deepEqual(await tracker.check(instance({ healthPath: null })), {
    kind: "waiting",
    reason: "port 8080 refused the connection",
  });
});

Deno.test("ReadinessTracker: a health path that keeps answering 404 is a mistake, said without waiting out the timeout", async () => {
  const answer: ProbeResult = { ready: false, reason: "GET /nope answered 404 Not Found", status: 404 };
  const tracker = new ReadinessTracker({ probe: () => Promise.resolve(answer), notFoundGraceMs: 50 });
  const first = await tracker.check(instance({ healthPath: "/nope" }));
  assert.equal(first.kind, "waiting", "a 404 right at start gets a grace period");
  await new Promise((resolve) => setTimeout(resolve, 60));
  const later = await tracker.check(instance({ healthPath: "/nope" }));
  assert.equal(later.kind, "failed");
  assert.match(
    (later as { reason: string }).reason,
    /^answers 404 to GET \/nope on port 8080: set health in funko\.yml to a path it answers with 2xx or 3xx/,
  );
});
