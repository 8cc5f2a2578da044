import assert from "node:assert/strict";
import type { Task } from "../../docker/mod.ts";
import type { Instance } from "../instances.ts";
import {
  instanceState,
  isAbandoned,
  isCurrentTask,
  isSettling,
  taskChanges,
  type TaskContext,
  taskInstance,
} from "./tasks.ts";

function task(overrides: Partial<Task> & { state?: Task["Status"]["State"] } = {}): Task {
  const { state = "running", ...rest } = overrides;
  return {
    ID: "t1abcdefghijklmnopqrstuvw",
    Version: { Index: 1 },
    CreatedAt: "2026-11-30T10:31:17.55Z",
    UpdatedAt: "2026-11-30T10:31:54.13Z",
    Spec: {
      ContainerSpec: { Image: "reg:5000/faaso-hello:20261130T103024Z@sha256:abc", Labels: { "faaso.funko": "hello" } },
    },
    ServiceID: "s1",
    Slot: 2,
    NodeID: "n1",
    Status: { Timestamp: "2026-11-30T10:31:54.10Z", State: state, Message: "started" },
    DesiredState: "running",
    NetworksAttachments: [
      { Network: { ID: "ingress", Spec: { Name: "ingress" } }, Addresses: ["10.0.0.9/24"] },
      { Network: { ID: "net", Spec: { Name: "faaso-net" } }, Addresses: ["10.0.1.4/24"] },
    ],
    ...rest,
  };
}

const context: TaskContext = {
  nodes: new Map([["n1", { hostname: "worker-1", ready: true }], ["n2", { hostname: "worker-2", ready: false }]]),
  imageId: (reference) => reference === "reg:5000/faaso-hello:20261130T103024Z@sha256:abc" ? "sha256:local" : "",
};

Deno.test("taskInstance reads name, address on faaso-net, node, image and state", () => {
  const instance = taskInstance(task(), context);
  assert.equal(instance.name, "faaso-hello.2.t1abcdefghijklmnopqrstuvw");
  assert.equal(instance.funko, "hello");
  assert.equal(instance.address, "10.0.1.4");
  assert.equal(instance.node, "worker-1");
  assert.equal(instance.imageId, "sha256:local");
  assert.equal(instance.state, "running");
  assert.equal(instance.health, "healthy");
  assert.equal(instance.retiring, false);
  assert.equal(instance.created.toISOString(), "2026-11-30T10:31:17.550Z");
});

Deno.test("taskInstance: a task the swarm is replacing is retiring; one on a lost node is dead", () => {
  assert.equal(taskInstance(task({ DesiredState: "shutdown" }), context).retiring, true);
  const lost = taskInstance(task({ NodeID: "n2" }), context);
  assert.equal(lost.state, "dead");
  assert.equal(lost.node, "worker-2");
});

Deno.test("instanceState: starting is running but not yet healthy; pending is created; ends are exited or dead", () => {
  assert.deepEqual(instanceState("starting"), { state: "running", health: "starting" });
  assert.deepEqual(instanceState("preparing"), { state: "created", health: "none" });
  assert.deepEqual(instanceState("complete"), { state: "exited", health: "none" });
  assert.deepEqual(instanceState("failed"), { state: "dead", health: "none" });
  assert.deepEqual(instanceState("running", false), { state: "dead", health: "none" });
});

Deno.test("isCurrentTask keeps wanted and still-running tasks, not the swarm's history", () => {
  assert.equal(isCurrentTask(task()), true);
  assert.equal(isCurrentTask(task({ state: "pending" })), true);
  assert.equal(isCurrentTask(task({ DesiredState: "shutdown" })), true, "running while replaced");
  assert.equal(isCurrentTask(task({ DesiredState: "shutdown", state: "shutdown" })), false);
  assert.equal(isCurrentTask(task({ DesiredState: "shutdown", state: "assigned" })), false, "never started");
  assert.equal(isCurrentTask(task({ DesiredState: "shutdown", state: "failed" })), false);
});

function instance(id: string, change: Partial<Instance> = {}): Instance {
  return {
    id,
    name: `faaso-hello.1.${id}`,
    funko: "hello",
    state: "running",
    health: "healthy",
    address: "10.0.1.4",
    port: 3000,
    healthPath: "/ping",
    imageId: "sha256:local",
    created: new Date(0),
    retiring: false,
    ...change,
  };
}

Deno.test("taskChanges turns two listings into the events containers give", () => {
  const before = new Map([
    ["a", instance("a", { health: "starting" })],
    ["b", instance("b")],
    ["c", instance("c")],
    ["d", instance("d", { state: "created", health: "none" })],
  ]);
  const after = new Map([
    ["a", instance("a")],
    ["b", instance("b", { retiring: true })],
    ["d", instance("d", { health: "starting" })],
    ["e", instance("e", { state: "created", health: "none" })],
  ]);
  assert.deepEqual(taskChanges(before, after, 7), [
    { action: "health", id: "a", funko: "hello", health: "healthy" },
    { action: "update", id: "b", funko: "hello" },
    { action: "start", id: "d", funko: "hello", time: 7 },
    { action: "stop", id: "c", funko: "hello" },
    { action: "destroy", id: "c", funko: "hello" },
  ]);
  assert.deepEqual(taskChanges(after, after), [], "nothing moved, nothing said");
});

Deno.test("taskChanges: a task that stops running says stop; one that vanishes unstarted says only destroy", () => {
  const before = new Map([["a", instance("a")], ["b", instance("b", { state: "created" })]]);
  const after = new Map([["a", instance("a", { state: "dead" })]]);
  assert.deepEqual(taskChanges(before, after), [
    { action: "stop", id: "a", funko: "hello" },
    { action: "destroy", id: "b", funko: "hello" },
  ]);
});

Deno.test("isAbandoned: a task the swarm replaced on a lost node is gone, whatever it last reported", () => {
  assert.equal(isAbandoned(taskInstance(task({ NodeID: "n2", DesiredState: "shutdown" }), context)), true);
  assert.equal(isAbandoned(taskInstance(task({ NodeID: "n2" }), context)), false, "not replaced yet");
  assert.equal(isAbandoned(taskInstance(task({ DesiredState: "shutdown" }), context)), false, "still stopping");
});

Deno.test("isSettling: starting, pending or retiring tasks call for a closer look", () => {
  assert.equal(isSettling([instance("a")]), false);
  assert.equal(isSettling([instance("a"), instance("b", { health: "starting" })]), true);
  assert.equal(isSettling([instance("a", { retiring: true })]), true);
  assert.equal(isSettling([instance("a", { state: "created" })]), true);
});
