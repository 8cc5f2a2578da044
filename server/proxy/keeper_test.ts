import assert from "node:assert/strict";
import type { Instance, InstanceBackend, Repair } from "../../core/instances.ts";
import type { Progress } from "../../core/progress.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import { InstanceKeeper } from "./keeper.ts";

/** One stopped instance whose engine fails `failures` times (listing or start), then brings it back. */
function engineThatFails(failures: number) {
  const instance = { id: "a1", name: "faaso-x-aaaaaa", funko: "x", state: "exited" } as Instance;
  const calls: string[] = [];
  const fail = (what: string) => {
    calls.push(what);
    if (calls.length <= failures) throw new Error(`engine down (${what})`);
  };
  const instances = {
    list: () => {
      fail("list");
      return Promise.resolve(instance.state === "running" ? [] : [instance]);
    },
    get: () => Promise.resolve({ ...instance }),
    repair: (): Promise<Repair> => {
      fail("repair");
      instance.state = "running";
      return Promise.resolve({ instance });
    },
  } as unknown as InstanceBackend;
  return { deps: { instances } as unknown as LifecycleDeps, instance, calls };
}

Deno.test("keeper: a stopped instance is brought back after a resync, and failures are retried with backoff", async () => {
  const { deps, instance, calls } = engineThatFails(2);
  const lines: string[] = [];
  const progress: Progress = (event) => lines.push(JSON.stringify(event));
  const keeper = new InstanceKeeper(deps, { progress });
  try {
    const start = Date.now();
    keeper.resync([]);
    while (instance.state !== "running" && Date.now() - start < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(instance.state, "running", `not brought back: ${lines.join("\n")}`);
    // Failed twice (list, list), tried again after 1 s, then 2 s.
    assert.deepEqual(calls, ["list", "list", "list", "repair"]);
    assert.ok(Date.now() - start >= 3000, "backoff: 1 s, then 2 s");
    assert.ok(lines.some((line) => /Will try to bring back .* in 1 s/.test(line)), lines.join("\n"));
    assert.ok(lines.some((line) => /Will try to bring back .* in 2 s/.test(line)), lines.join("\n"));
    assert.ok(lines.some((line) => line.includes(`Started ${instance.name} again`)), lines.join("\n"));
  } finally {
    keeper.stop();
  }
});

Deno.test("keeper: stop() cancels the retries", async () => {
  const { deps, calls } = engineThatFails(100);
  const keeper = new InstanceKeeper(deps, { progress: () => {} });
  keeper.resync([]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  keeper.stop();
  const seen = calls.length;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(calls.length, seen, "no retry after stop()");
});
