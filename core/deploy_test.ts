import assert from "node:assert/strict";
import { oldInstancesNote } from "./deploy.ts";
import type { Instance } from "./instances.ts";
import type { LifecycleDeps } from "./scale.ts";

function instance(id: string, state: Instance["state"], health: Instance["health"]): Instance {
  return {
    id,
    name: `faaso-a-${id}`,
    funko: "a",
    state,
    health,
    imageId: "sha256:old",
    created: new Date(0),
    port: 3000,
    healthPath: "/ping",
  };
}

/** Lifecycle deps whose engine knows these instances as they are now (only `instances.get` is used). */
function engineWith(now: Instance[]): LifecycleDeps {
  const instances = { get: (id: string) => Promise.resolve(now.find((i) => i.id === id) ?? null) };
  return { docker: {}, instances } as unknown as LifecycleDeps;
}

Deno.test("oldInstancesNote: says the old instances keep serving only when they do", async () => {
  const healthy = [instance("1", "running", "healthy"), instance("2", "running", "none")];
  assert.equal(await oldInstancesNote(engineWith(healthy), healthy), "the old instances keep serving");
  const looping = [instance("1", "restarting", "none"), instance("2", "restarting", "none")];
  assert.equal(
    await oldInstancesNote(engineWith(looping), healthy),
    "the old instances are not serving either (restarting)",
  );
  const mixed = [instance("1", "running", "healthy"), instance("2", "running", "unhealthy")];
  assert.equal(
    await oldInstancesNote(engineWith(mixed), healthy),
    "1 of 2 old instances keep serving, the others do not (running healthy, running unhealthy)",
  );
  assert.equal(await oldInstancesNote(engineWith([]), []), "no instance ran before the deploy");
});
