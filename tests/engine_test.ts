/**
 * The second-engine harness itself (engine.ts): two engines side by side,
 * each restarted or killed and started again, while the host's engine and its
 * containers do not notice; everything of them gone afterwards. And the CLI in
 * local mode follows DOCKER_HOST to such an engine for every step, the
 * secrets mount included.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { RUN_ROOT, type SlotLayout } from "./engine_host.ts";
import { startTestEngine, type TestEngine } from "./engine.ts";
import { serve } from "./serve_helpers.ts";
import {
  faasoOk,
  fileTimeLimit,
  instancesOf,
  ROOT,
  runCommand,
  sandbox,
  tempFolder,
  testDocker,
  timedFetch,
  uniqueName,
  waitForHttp,
  waitUntil,
} from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 10 });

const BASE = "debian:bookworm-slim";
const ECHO = join(ROOT, "tests", "fixtures", "echo");

/** A container that sleeps until told to stop, labelled as this test's. */
async function sleeper(engine: { docker: TestEngine["docker"] }, name: string, restart = false): Promise<string> {
  const id = await engine.docker.containers.create(name, {
    Image: BASE,
    // A shell as PID 1 ignores SIGTERM unless it traps it: without this, every stop waits 10 s.
    Cmd: ["bash", "-c", "trap 'exit 0' TERM; sleep infinity & wait"],
    Labels: { "faaso.test": "engine_test" },
    HostConfig: restart ? { RestartPolicy: { Name: "unless-stopped" } } : {},
  });
  await engine.docker.containers.start(id);
  return id;
}

/** The host's firewall rules that name `device`. */
async function rulesOf(device: string): Promise<string[]> {
  const saved = await runCommand("iptables-save", []);
  return saved.stdout.split("\n").filter((line) => line.startsWith("-A ") && new RegExp(`\\b${device}\\b`).test(line));
}

/** What is left on the host of an engine's slot (folders, bridge, rules, processes, mounts). */
async function leftovers(layout: SlotLayout): Promise<string[]> {
  const left: string[] = [];
  for (const path of [layout.runDir, layout.dataRoot]) {
    if (await Deno.stat(path).then(() => true, () => false)) left.push(path);
  }
  if ((await runCommand("ip", ["link", "show", layout.hostLink])).code === 0) left.push(`link ${layout.hostLink}`);
  if (await Deno.stat(`/run/netns/${layout.netns}`).then(() => true, () => false)) left.push(`netns ${layout.netns}`);
  const rules = (await runCommand("iptables-save", [])).stdout.split("\n").filter((l) => l.includes(layout.tag));
  left.push(...rules);
  const mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .filter((line) => line.includes(layout.dataRoot) || line.includes(layout.runDir));
  left.push(...mounts);
  const processes = (await runCommand("ps", ["-eo", "args"])).stdout.split("\n")
    .filter((line) => line.includes(layout.execRoot) || line.includes(layout.socketPath));
  left.push(...processes);
  return left;
}

Deno.test("two test engines run side by side, restart and survive kill -9, and the host's engine never notices", async () => {
  using host = testDocker();
  const sentinelName = uniqueName("it-engine-sentinel");
  const sentinel = await sleeper({ docker: host }, sentinelName);
  const layouts: SlotLayout[] = [];
  try {
    const before = (await host.containers.inspectOrNull(sentinel))!.State;
    const docker0Rules = await rulesOf("docker0");
    const docker0 = await Deno.readTextFile("/sys/class/net/docker0/ifindex");

    const started = performance.now();
    await using a = await startTestEngine({ images: [BASE] });
    await using b = await startTestEngine({ images: [BASE] });
    layouts.push(a.layout, b.layout);
    console.log(
      `two engines: first start of dockerd ${a.startTimes[0]!.toFixed(0)} and ${b.startTimes[0]!.toFixed(0)} ms; ` +
        `with ${BASE} loaded, both ready in ${(performance.now() - started).toFixed(0)} ms`,
    );
    assert.notEqual(a.layout.slot, b.layout.slot);
    assert.notEqual(a.host, b.host);

    // Each engine has its own containers and networks, from its own address pool.
    const inA = await sleeper(a, uniqueName("it-engine-a"), true);
    const inB = await sleeper(b, uniqueName("it-engine-b"), true);
    assert.equal(await b.docker.containers.inspectOrNull(inA), null, "B does not see A's container");
    assert.equal(await a.docker.containers.inspectOrNull(inB), null, "A does not see B's container");
    assert.equal(await host.containers.inspectOrNull(inA), null, "the host does not see A's container");
    for (const engine of [a, b]) {
      await engine.docker.networks.ensure("faaso-net");
      const network = await engine.docker.transport.json<{ IPAM: { Config: { Subnet: string }[] } }>(
        "GET",
        "/networks/faaso-net",
      );
      const subnet = network.IPAM.Config[0]?.Subnet ?? "";
      const prefix = engine.layout.pool.split(".").slice(0, 2).join(".");
      assert.ok(subnet.startsWith(`${prefix}.`), `faaso-net's ${subnet} is in ${engine.layout.pool}`);
    }

    // A graceful restart brings back what runs with unless-stopped.
    const restarted = performance.now();
    const oldPid = a.pid!;
    await a.restart();
    console.log(`graceful restart of an engine with one container: ${(performance.now() - restarted).toFixed(0)} ms`);
    assert.notEqual(a.pid, oldPid);
    assert.ok(!(await Deno.stat(`/proc/${oldPid}`).then(() => true, () => false)), "the old dockerd is gone");
    await waitUntil(
      async () => (await a.docker.containers.inspectOrNull(inA))?.State.Running === true,
      "A's container",
    );

    // kill -9, then start again: the engine answers and still knows its container.
    const killedPid = b.pid!;
    await b.kill();
    assert.equal(b.pid, undefined);
    assert.ok(!(await Deno.stat(`/proc/${killedPid}`).then(() => true, () => false)), "the killed dockerd is gone");
    await b.start();
    const afterKill = await b.docker.containers.inspectOrNull(inB);
    assert.ok(afterKill, "B still knows its container after kill -9");
    // Docker 20.10 stops (and does not restart) a container whose shim outlived a killed dockerd.
    console.log(`after kill -9 and start: B's unless-stopped container is ${afterKill.State.Status}`);

    // The host's engine and its container did not notice any of it.
    const after = (await host.containers.inspectOrNull(sentinel))!.State;
    assert.equal(after.Running, true, "the host's container still runs");
    assert.equal(after.StartedAt, before.StartedAt, "the host's container was never restarted");
    // A second dockerd started with --default-address-pool in the host's network namespace deletes docker0 at
    // its restart (the host engine's builds then fail); its own namespace keeps it from doing so.
    const docker0After = await Deno.readTextFile("/sys/class/net/docker0/ifindex").catch(() => "deleted");
    assert.equal(docker0After, docker0, "the host's docker0 is the same interface, never deleted");
    const rulesAfter = await rulesOf("docker0");
    for (const rule of docker0Rules) assert.ok(rulesAfter.includes(rule), `the host's rule is still there: ${rule}`);
    await host.system.ping();

    const disposed = performance.now();
    await a.destroy();
    await b.destroy();
    console.log(`both engines removed in ${(performance.now() - disposed).toFixed(0)} ms`);
    for (const layout of layouts) assert.deepEqual(await leftovers(layout), [], `nothing left of ${layout.tag}`);
    assert.equal((await host.containers.inspectOrNull(sentinel))?.State.Running, true);
  } finally {
    await host.containers.remove(sentinel, { force: true });
  }
});

Deno.test("the CLI and faaso serve follow DOCKER_HOST: build, up, secrets, routing and rm all on the test engine", async () => {
  await using engine = await startTestEngine({ images: [BASE, "denoland/deno:bin-2.9.6"] });
  using host = testDocker();
  await using folder = await tempFolder();
  const name = uniqueName("it-dockerhost");
  const env = engine.env;
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder.path, file));
  await Deno.writeTextFile(join(folder.path, "funko.yml"), `name: ${name}\nruntime: deno\n`);

  await faasoOk(["build", folder.path, "-q"], { env });
  await faasoOk(["up", name], { env });
  const value = `engine-secret-${crypto.randomUUID()}`;
  await faasoOk(["secret", "add", name, "token"], { env, stdin: value });
  const [instance] = await instancesOf(engine.docker, name);
  assert.ok(instance?.address, "the instance runs on the test engine");
  await waitForHttp(`http://${instance.address}:3000/ping`);
  const read = await timedFetch(`http://${instance.address}:3000/secret/token`);
  assert.equal(await read.text(), createHash("sha256").update(value).digest("hex"), "the secrets folder is mounted");
  const inspect = await engine.docker.containers.inspectOrNull(instance.id);
  const mount = inspect?.Mounts?.find((m) => m.Destination === "/secrets");
  assert.equal(mount?.Source, join(sandbox().data, "secrets", name), "mounted from the sandbox's data folder");

  // faaso serve on the host, told the same DOCKER_HOST, routes to the instance on the test engine.
  await using server = await serve({ ...env, FAASO_PASSWORD: "engine-test-password" });
  assert.equal(await waitForHttp(`${server.url}/funko/${name}/`), instance.name, "served through the test engine");
  await server.stop();

  assert.equal((await host.containers.list({ label: [`faaso.funko=${name}`] })).length, 0, "no container on the host");
  assert.equal((await host.images.list({ reference: [`faaso-${name}`] })).length, 0, "no image on the host");
  await faasoOk(["rm", name, "--yes"], { env });
  assert.equal((await engine.docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
});

Deno.test("a stale slot of a test process that is gone is swept and reused", async () => {
  // A slot folder claimed by a process that no longer exists, with a bridge of its own.
  const probe = new Deno.Command("true").spawn();
  const deadPid = probe.pid;
  await probe.status;
  const slots = new Set([...Deno.readDirSync(RUN_ROOT)].map((entry) => entry.name));
  let free = 0;
  while (slots.has(String(free))) free++;
  const stale = `${RUN_ROOT}/${free}`;
  await Deno.mkdir(stale);
  await Deno.writeTextFile(`${stale}/owner`, String(deadPid));
  await using _engine = await startTestEngine();
  const owner = await Deno.readTextFile(`${stale}/owner`).catch(() => "swept");
  assert.notEqual(owner, String(deadPid), "the stale slot is swept (and reused)");
});
