import assert from "node:assert/strict";
import type { Docker } from "../docker/mod.ts";
import { FaasoError } from "./errors.ts";
import { capabilitiesOf, type FunkoService, type Instance, type InstanceBackend } from "./instances.ts";
import type { LifecycleDeps, ScaleResult } from "./scale.ts";
import { pauseInstances, wakeInstances } from "./sleep.ts";
import { SwarmInstances } from "./swarm/instances.ts";

function task(id: string, state: Instance["state"] = "running"): Instance {
  return {
    id,
    name: `faaso-x.1.${id}`,
    funko: "x",
    state,
    health: "healthy",
    port: 3000,
    healthPath: "/ping",
  } as Instance;
}

/** A swarm-like backend: no pause, a service whose replicas are the tasks listed. */
function swarmLike() {
  const calls: string[] = [];
  let replicas = 1;
  const service = {
    scale: (funko: string, target: number): Promise<ScaleResult> => {
      calls.push(`scale ${funko} ${target}`);
      replicas = target;
      return Promise.resolve({ funko, before: 0, after: target, started: [], removed: [] });
    },
    desired: () => Promise.resolve(replicas),
  } as unknown as FunkoService;
  const instances = {
    capabilities: { pause: false, perInstance: false },
    service,
    list: () => Promise.resolve(Array.from({ length: replicas }, (_, i) => task(`t${i}`))),
    pause: () => Promise.reject(new Error("pause called")),
    stop: () => Promise.reject(new Error("stop called")),
    unpause: () => Promise.reject(new Error("unpause called")),
  } as unknown as InstanceBackend;
  return { deps: { instances } as unknown as LifecycleDeps, calls };
}

Deno.test("capabilitiesOf: plain containers' when a backend says none, its own otherwise", () => {
  assert.equal(capabilitiesOf({}).pause, true);
  assert.equal(capabilitiesOf({ capabilities: { pause: false, perInstance: false } }).pause, false);
  assert.equal(capabilitiesOf(new SwarmInstances({} as Docker)).pause, false);
});

Deno.test("sleep on a backend that cannot pause: the service goes to 0 replicas, a wake brings it to 1", async () => {
  const { deps, calls } = swarmLike();
  const depth = await pauseInstances(deps, [task("t0")]);
  assert.equal(depth, "stopped", "no pause: straight to stopped");
  assert.deepEqual(calls, ["scale x 0"]);
  const woken = await wakeInstances(deps, "x");
  assert.deepEqual(calls, ["scale x 0", "scale x 1"]);
  assert.equal(woken.kind, "create");
  assert.deepEqual(woken.instances.map((instance) => instance.id), ["t0"]);
});

Deno.test("SwarmInstances refuses pause, unpause, stop and replace with a sentence; repair leaves it to the swarm", async () => {
  const instances = new SwarmInstances({ tasks: { inspectOrNull: () => Promise.resolve(null) } } as unknown as Docker);
  const calls: ((instance: Instance) => Promise<unknown>)[] = [
    (i) => instances.pause(i),
    (i) => instances.unpause(i),
    (i) => instances.stop(i),
    (i) => instances.replace(i),
  ];
  for (const call of calls) {
    await assert.rejects(call(task("t0")), (error: Error) => {
      assert.ok(error instanceof FaasoError);
      assert.match(error.message, /faaso-x\.1\.t0/);
      return true;
    });
  }
  await assert.rejects(instances.pause(task("t0")), /cannot be paused.*faaso sleep x/);
  const repair = await instances.repair(task("t0"));
  assert.equal(repair.instance.id, "t0");
  assert.equal(repair.replaced, undefined);
});
