import assert from "node:assert/strict";
import { DataFolder } from "../../core/data_folder.ts";
import type { FunkoService, Instance, InstanceBackend } from "../../core/instances.ts";
import type { LifecycleDeps, ScaleResult } from "../../core/scale.ts";
import { SleepStates } from "../../core/sleep_state.ts";
import { FunkoOps } from "./funko_ops.ts";
import { RoutingTable } from "./routing_table.ts";
import { Sleeper } from "./sleeper.ts";

const TASK: Instance = {
  id: "t0",
  name: "faaso-hello.1.t0",
  funko: "hello",
  state: "running",
  health: "healthy",
  address: "10.0.1.5",
  port: 3000,
  healthPath: "/ping",
  imageId: "sha256:1",
  created: new Date(),
};

Deno.test("Sleeper on a swarm: an idle funko's service goes to 0, it stays asleep once its tasks are gone, down ends it", async () => {
  const root = await Deno.makeTempDir({ prefix: "faaso-sleeper-test-" });
  try {
    const calls: string[] = [];
    let replicas: number | null = 1;
    const service = {
      scale: (funko: string, target: number): Promise<ScaleResult> => {
        calls.push(`scale ${funko} ${target}`);
        replicas = target;
        return Promise.resolve({ funko, before: 1, after: target, started: [], removed: [] });
      },
      desired: () => Promise.resolve(replicas),
    } as unknown as FunkoService;
    const instances = {
      capabilities: { pause: false, perInstance: false },
      service,
      list: () => Promise.resolve(replicas ? [TASK] : []),
      pause: () => Promise.reject(new Error("a swarm task was paused")),
      stop: () => Promise.reject(new Error("a swarm task was stopped by itself")),
    } as unknown as InstanceBackend;
    const table = new RoutingTable();
    table.upsert(TASK);
    const states = await SleepStates.open(new DataFolder(root));
    const sleeper = new Sleeper({
      table,
      lifecycle: { instances } as unknown as LifecycleDeps,
      states,
      ops: new FunkoOps(),
      settings: () => undefined,
      held: () => 0,
      progress: () => {},
    });
    const result = await sleeper.sleep("hello", "paused");
    assert.equal(result.state, "stopped", "a swarm cannot pause: straight to stopped");
    assert.deepEqual(calls, ["scale hello 0"]);
    // The task listing after the scale (up to a second later: the swarm has no task events): the task is gone.
    await new Promise((resolve) => setTimeout(resolve, 20));
    table.remove(TASK.id);
    sleeper.observe({ action: "destroy", id: TASK.id, funko: "hello" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(sleeper.canWake("hello"), "asleep at 0 replicas: a request wakes it");
    assert.equal(states.get("hello")?.depth, "stopped");
    // faaso rm: the service is gone, and so is the sleep.
    replicas = null;
    sleeper.observe({ action: "destroy", id: TASK.id, funko: "hello" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sleeper.canWake("hello"), false);
    assert.equal(states.get("hello"), undefined);
    // Asleep again, then faaso down: no event (it is at 0 already), yet the sleep ends and nothing wakes it.
    replicas = 1;
    table.upsert(TASK);
    await sleeper.sleep("hello", "paused");
    table.remove(TASK.id);
    sleeper.observe({ action: "destroy", id: TASK.id, funko: "hello" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(sleeper.canWake("hello"), "asleep again");
    sleeper.takenDown("hello");
    assert.equal(sleeper.canWake("hello"), false, "down while asleep: a request gets 503, not a wake");
    assert.equal(states.get("hello"), undefined);
  } finally {
    await removeWhenWritten(root);
  }
});

/** Removes the test's data folder: the sleep records are written in the background, a last write may be under way. */
async function removeWhenWritten(root: string): Promise<void> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    try {
      return await Deno.remove(root, { recursive: true });
    } catch (error) {
      if (attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
