/**
 * FaaSO on a real Docker Swarm: three docker-in-docker nodes (a manager and
 * two workers, tests/swarm.ts) and a real registry. Builds are pushed, a
 * funko is one service spread over the nodes, the proxy runs as a service on
 * the manager (as the README says), deploys roll and roll back under load,
 * secrets are Swarm secrets, and a worker is drained, then lost, under load.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { FunkoStatus } from "../core/status.ts";
import { faaso, type FaasoRunOptions, fileTimeLimit, tempFolder, uniqueName, waitUntil } from "./helpers.ts";
import { startLoad } from "./load.ts";
import { startSwarm, type SwarmNode } from "./swarm.ts";
import { BASE_IMAGES, manifest, proxyImage, startProxyService, writeFunko } from "./swarm_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 25 });

Deno.test("FaaSO on a three-node swarm: push, spread, proxy, rolling deploys, secrets, a lost worker", async (t) => {
  const started = performance.now();
  await using swarm = await startSwarm({ workers: 2 });
  await using source = await tempFolder();
  await using config = await tempFolder();
  const name = uniqueName("sw");
  const password = crypto.randomUUID();
  const docker = swarm.managerDocker();
  const local = (args: string[], options: FaasoRunOptions = {}) => faaso(args, { ...options, env: swarm.env });
  let server: Record<string, string> = {};
  const remote = (args: string[], options: FaasoRunOptions = {}) => faaso(args, { ...options, env: server });
  let proxy = "";
  let token = "";
  const timings: string[] = [];
  let failed = false;
  const lap = (what: string, since: number) =>
    timings.push(`${what} ${((performance.now() - since) / 1000).toFixed(0)} s`);
  const status = async (): Promise<FunkoStatus> => {
    const run = await remote(["status", name, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  const serving = async () =>
    (await status()).instances.filter((i) => i.state === "running" && i.health === "healthy" && !i.retiring);

  try {
    if (
      !await t.step(
        "build pushes to the registry; up runs 3 replicas spread over the 3 nodes; 300 requests reach all three",
        async () => {
          let since = performance.now();
          const [image] = await Promise.all([proxyImage(swarm), swarm.copyImages(BASE_IMAGES)]);
          lap("images to the manager", since);

          since = performance.now();
          await writeFunko(source.path, manifest(name, "v1"));
          const build = await local(["build", source.path, "-q"]);
          assert.equal(build.code, 0, build.stderr);
          const pushed = new RegExp(`Pushed ${swarm.registry}/faaso-${name}:(\\d{8}T\\d{6}Z)@sha256:[0-9a-f]{64}`);
          const stamp = pushed.exec(build.stdout)?.[1];
          assert.ok(stamp, `build says what it pushed: ${build.stdout}`);
          const tags = await (await fetch(`http://${swarm.registry}/v2/faaso-${name}/tags/list`)).json();
          assert.deepEqual(tags.tags, [stamp], "the registry has the timestamp tag");
          lap("build and push", since);

          since = performance.now();
          proxy = await startProxyService(swarm, image, password);
          server = { FAASO_SERVER: proxy, XDG_CONFIG_HOME: config.path };
          const login = await faaso(["login"], { env: server, stdin: `${password}\n` });
          assert.equal(login.code, 0, login.stderr);
          token = JSON.parse(await Deno.readTextFile(join(config.path, "faaso", "config.json"))).token;
          lap("proxy service", since);

          since = performance.now();
          const up = await remote(["up", name]);
          assert.equal(up.code, 0, up.stderr);
          assert.match(up.stdout, /3 instances running/);
          const service = await docker.services.inspectOrNull(`faaso-${name}`);
          assert.ok(service, "the funko is the service faaso-NAME");
          const spec = service.Spec.TaskTemplate.ContainerSpec;
          assert.match(spec.Image, new RegExp(`^${swarm.registry}/faaso-${name}:${stamp}@sha256:[0-9a-f]{64}$`));
          assert.deepEqual(service.Spec.Labels, {
            "faaso.funko": name,
            "faaso.role": "instance",
            "faaso.port": "3000",
            "faaso.health": "/ping",
          });
          assert.ok(spec.Env?.includes("ECHO_VERSION=v1"));
          assert.equal(service.Spec.UpdateConfig?.Order, "start-first");
          assert.equal(service.Spec.UpdateConfig?.FailureAction, "rollback");
          const instances = await serving();
          assert.equal(instances.length, 3);
          assert.deepEqual(
            new Set(instances.map((i) => i.node)),
            new Set(swarm.nodes.map((node) => node.name)),
            "one task on each node",
          );
          lap("up, 3 replicas", since);

          const answers = new Map<string, number>();
          for (let i = 0; i < 300; i++) {
            const response = await fetch(`${proxy}/funko/${name}/`);
            assert.equal(response.status, 200);
            const body = await response.text();
            answers.set(body, (answers.get(body) ?? 0) + 1);
          }
          assert.deepEqual(new Set(answers.keys()), new Set(instances.map((i) => i.name)), `answers: ${[...answers]}`);
          console.log(`300 requests: ${[...answers.values()].join(" / ")} per task`);

          const logs = await remote(["logs", name, "--tail", "5"]);
          assert.equal(logs.code, 0, logs.stderr);
          for (const instance of instances) {
            assert.ok(
              logs.stdout.includes(`${instance.name}@${instance.node}`),
              `logs name ${instance.name} and its node`,
            );
          }
        },
      )
    ) {
      failed = true;
      return;
    }

    if (
      !await t.step("a rolling deploy under 50 connections of steady load fails no request", async () => {
        const since = performance.now();
        await writeFunko(source.path, manifest(name, "v2"));
        const build = await remote(["build", source.path, "-q"]);
        assert.equal(build.code, 0, build.stderr);
        assert.match(build.stdout, /Pushed /, "a build through the server is pushed too");
        const before = (await serving()).map((i) => i.id);
        const load = startLoad(`${proxy}/funko/${name}/version`, 50);
        await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
        const deployed = await remote(["deploy", name, "--timeout", "300"]);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const report = await load.stop();
        assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
        assert.match(deployed.stdout, /Deployed .*3 new instances.*3 old ones drained and removed/);
        assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.ok((report.bodies.get("v1") ?? 0) > 0 && (report.bodies.get("v2") ?? 0) > 0, `${[...report.bodies]}`);
        const after = await serving();
        assert.equal(after.length, 3);
        assert.ok(after.every((i) => !before.includes(i.id)), "every task was replaced");
        for (let i = 0; i < 20; i++) assert.equal(await (await fetch(`${proxy}/funko/${name}/version`)).text(), "v2");
        console.log(`rolling deploy under load: ${report.ok} requests, ${report.failed} failed`);
        lap("rolling deploy", since);
      })
    ) {
      failed = true;
      return;
    }

    if (
      !await t.step(
        "a deploy that never turns healthy is rolled back: no failed request, exit 1 with the reason",
        async () => {
          const since = performance.now();
          await writeFunko(
            source.path,
            manifest(name, "v3").replace("healthcheck:\n", 'healthcheck:\n  command: "false"\n  retries: 2\n')
              .replace("start_period: 20s", "start_period: 2s"),
          );
          assert.equal((await remote(["build", source.path, "-q"])).code, 0);
          const load = startLoad(`${proxy}/funko/${name}/version`, 50);
          await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
          const deployed = await remote(["deploy", name, "--timeout", "300"]);
          const report = await load.stop();
          assert.equal(deployed.code, 1, deployed.stdout);
          assert.match(
            deployed.stderr,
            new RegExp(`Cannot deploy ${name}: faaso-${name}\\.\\d\\.\\w+ on \\S+ did not become healthy`),
          );
          assert.match(
            deployed.stderr,
            new RegExp(`the swarm rolled the service back: 3 instances of faaso-${name}:\\d{8}T\\d{6}Z serve`),
          );
          assert.match(deployed.stderr, /last lines of faaso-/);
          assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
          assert.deepEqual([...report.bodies.keys()], ["v2"], "only the old version answered");
          assert.equal((await serving()).length, 3);
          console.log(`rolled-back deploy under load: ${report.ok} requests, ${report.failed} failed`);
          lap("rolled-back deploy", since);
        },
      )
    ) {
      failed = true;
      return;
    }

    if (
      !await t.step("a secret is readable in every task and absent from every API answer", async () => {
        const since = performance.now();
        const value = `s3cret-${crypto.randomUUID()}`;
        const load = startLoad(`${proxy}/funko/${name}/version`, 20);
        const added = await remote(["secret", "add", name, "token"], { stdin: value });
        const report = await load.stop();
        assert.equal(added.code, 0, added.stderr);
        assert.match(added.stdout + added.stderr, /rolling update/);
        assert.equal(report.failed, 0, `failed requests while the secret rolled out: ${report.failures.join(" | ")}`);
        const instances = await serving();
        assert.equal(instances.length, 3);
        const expected = createHash("sha256").update(value).digest("hex");
        const script = instances.map((i) =>
          `exec 3<>/dev/tcp/${i.address}/3000 && printf 'GET /secret/token HTTP/1.0\\r\\n\\r\\n' >&3 && tail -n 1 <&3 && echo`
        ).join(" && ");
        const read = await swarm.dockerOk(swarm.manager, [
          "run",
          "--rm",
          "--network",
          "faaso-net",
          "debian:bookworm-slim",
          "bash",
          "-c",
          script,
        ]);
        assert.deepEqual(read.trim().split("\n"), [expected, expected, expected], "each task reads /secrets/token");

        const answers: string[] = [];
        const api = (path: string) =>
          fetch(`${proxy}/admin/api/${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
        answers.push(await api("funkos"), await api(`funkos/${name}`), await api("secrets"));
        answers.push(await api(`funkos/${name}/secrets`), await api("routes"));
        for (const args of [["status", name, "--json"], ["secret", "ls"], ["logs", name]]) {
          const cli = await remote(args);
          answers.push(cli.stdout, cli.stderr);
        }
        answers.push(added.stdout, added.stderr);
        const engine = (path: string) => docker.transport.request("GET", path).then((r) => r.text());
        const secrets = JSON.parse(await engine("/secrets")) as { ID: string }[];
        answers.push(JSON.stringify(secrets), await engine(`/services/faaso-${name}`), await engine("/tasks"));
        for (const secret of secrets) answers.push(await engine(`/secrets/${secret.ID}`));
        answers.push((await swarm.docker(swarm.manager, ["service", "logs", "faaso-proxy"])).stdout);
        const base64 = btoa(value);
        for (const answer of answers) {
          assert.ok(!answer.includes(value) && !answer.includes(base64), `the value leaked: ${answer.slice(0, 300)}`);
        }
        assert.match(answers[3]!, /"token"/, "its name is listed");
        console.log(`secret rollout under load: ${report.ok} requests, ${report.failed} failed`);
        lap("secret", since);
      })
    ) {
      failed = true;
      return;
    }

    const onNode = async (node: SwarmNode) => (await serving()).filter((i) => i.node === node.name);
    const [drained, lost] = await (async () => {
      const counts = await Promise.all(swarm.workers.map(async (w) => (await onNode(w)).length));
      return counts[0]! >= counts[1]! ? [swarm.workers[0]!, swarm.workers[1]!] : [swarm.workers[1]!, swarm.workers[0]!];
    })();

    if (
      !await t.step("draining a worker moves its tasks with no failed request at the proxy", async () => {
        const since = performance.now();
        assert.ok((await onNode(drained)).length > 0, `${drained.name} runs a task`);
        const load = startLoad(`${proxy}/funko/${name}/version`, 50);
        await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
        await swarm.dockerOk(swarm.manager, ["node", "update", "--availability", "drain", drained.name]);
        await waitUntil(
          async () => (await onNode(drained)).length === 0 && (await serving()).length === 3,
          "its tasks to run elsewhere",
          120_000,
        );
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const report = await load.stop();
        assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        await swarm.dockerOk(swarm.manager, ["node", "update", "--availability", "active", drained.name]);
        console.log(`drained ${drained.name} under load: ${report.ok} requests, ${report.failed} failed`);
        lap("drain", since);
      })
    ) {
      failed = true;
      return;
    }

    if (
      !await t.step(
        "losing a worker under load: its tasks are rescheduled; only requests in flight there fail",
        async () => {
          const since = performance.now();
          const victims = await onNode(lost);
          assert.ok(victims.length > 0, `${lost.name} runs a task`);
          const load = startLoad(`${proxy}/funko/${name}/version`, 50);
          await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
          // What the proxy has in flight on the lost node's tasks while it goes: the most requests that may fail.
          let inFlight = 0;
          let sampling = true;
          const sampler = (async () => {
            while (sampling) {
              const routes = await fetch(`${proxy}/admin/api/routes`, { headers: { authorization: `Bearer ${token}` } })
                .then((r) => r.json()).catch(() => ({}));
              const there = ((routes[name] ?? []) as { id: string; inFlight: number }[])
                .filter((route) => victims.some((victim) => victim.id === route.id))
                .reduce((sum, route) => sum + route.inFlight, 0);
              inFlight = Math.max(inFlight, there);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          })();
          await swarm.stop(lost);
          await waitUntil(
            async () => {
              const now = await serving();
              return now.length === 3 && now.every((i) => i.node !== lost.name);
            },
            "3 tasks serving on the remaining nodes",
            180_000,
          );
          // Until the proxy let go of the lost tasks: requests sent there meanwhile count as in flight there.
          await waitUntil(
            async () => {
              const routes = await fetch(`${proxy}/admin/api/routes`, { headers: { authorization: `Bearer ${token}` } })
                .then((r) => r.json());
              return !((routes[name] ?? []) as { id: string; ready: boolean }[])
                .some((route) => route.ready && victims.some((victim) => victim.id === route.id));
            },
            "the proxy to stop routing to the lost tasks",
            60_000,
          );
          sampling = false;
          await sampler;
          await new Promise((resolve) => setTimeout(resolve, 1000));
          const report = await load.stop();
          console.log(
            `lost ${lost.name} (${victims.length} task(s)) under load: ${report.ok} requests, ${report.failed} failed, ` +
              `at most ${inFlight} in flight there${report.failures.length ? `: ${report.failures.join(" | ")}` : ""}`,
          );
          assert.ok(
            !report.failures.some((failure) => /cannot connect/.test(failure)),
            "a refused connection sent nothing: it goes to another instance, it does not fail",
          );
          assert.ok(
            report.failed <= inFlight,
            `${report.failed} failed, more than the ${inFlight} in flight on ${lost.name}`,
          );
          for (let i = 0; i < 30; i++) assert.equal((await fetch(`${proxy}/funko/${name}/version`)).status, 200);
          lap("lost worker", since);
        },
      )
    ) {
      failed = true;
      return;
    }

    if (
      !await t.step(
        "faaso sleep scales the service to 0; a request through the proxy wakes it; down while asleep stays down",
        async () => {
          const since = performance.now();
          const replicas = async () =>
            (await docker.services.inspectOrNull(`faaso-${name}`))?.Spec.Mode?.Replicated?.Replicas;
          const slept = await remote(["sleep", name]);
          assert.equal(slept.code, 0, slept.stderr);
          assert.match(slept.stdout, new RegExp(`${name} sleeps \\(stopped\\)`));
          assert.equal(await replicas(), 0);
          await waitUntil(async () => (await serving()).length === 0, "its tasks are gone", 60_000);
          const woken = await fetch(`${proxy}/funko/${name}/version`, { signal: AbortSignal.timeout(60_000) });
          assert.equal(woken.status, 200, await woken.clone().text());
          assert.equal(await woken.text(), "v2");
          assert.ok((await replicas() ?? 0) >= 1, "scaled up again by the wake");
          // Asleep, then taken down: a request gets 503 and wakes nothing (down is on purpose).
          assert.equal((await remote(["sleep", name])).code, 0);
          const down = await remote(["down", name]);
          assert.equal(down.code, 0, down.stderr);
          assert.equal((await fetch(`${proxy}/funko/${name}/`, { signal: AbortSignal.timeout(30_000) })).status, 503);
          assert.equal(await replicas(), 0, "down keeps it at 0");
          const back = await remote(["scale", name, "3"]);
          assert.equal(back.code, 0, back.stderr);
          lap("sleep and wake", since);
        },
      )
    ) {
      failed = true;
      return;
    }
    if (
      !await t.step("down keeps the service at 0 replicas; rm removes it and its secrets", async () => {
        const since = performance.now();
        const down = await remote(["down", name]);
        assert.equal(down.code, 0, down.stderr);
        assert.match(down.stdout, /0 instances running \(was 3\)/);
        assert.equal((await docker.services.inspectOrNull(`faaso-${name}`))?.Spec.Mode?.Replicated?.Replicas, 0);
        assert.equal((await fetch(`${proxy}/funko/${name}/`)).status, 503);
        const rm = await remote(["rm", name, "--yes"]);
        assert.equal(rm.code, 0, rm.stderr);
        assert.equal(await docker.services.inspectOrNull(`faaso-${name}`), null);
        assert.equal(
          (await docker.images.list({ reference: [`${swarm.registry}/faaso-${name}`] })).length,
          0,
          "registry tags untagged",
        );
        assert.match(rm.stdout, /Removed .*, 1 secret/);
        assert.deepEqual(
          await docker.secrets.list({ label: [`faaso.funko=${name}`] }),
          [],
          "its Swarm secrets went too",
        );
        lap("down and rm", since);
      })
    ) {
      failed = true;
      return;
    }
  } finally {
    if (proxy && (failed || Deno.env.get("FAASO_TEST_VERBOSE"))) {
      // What happened to the proxy and the funko, for whoever reads a failed run.
      for (
        const args of [["service", "ps", "--no-trunc", "faaso-proxy"], ["service", "ps", "--no-trunc", `faaso-${name}`]]
      ) {
        const out = await swarm.docker(swarm.manager, args);
        console.log(`docker ${args.join(" ")}:\n${out.stdout}${out.stderr}`);
      }
      const logs = await swarm.docker(swarm.manager, ["service", "logs", "--tail", "40", "faaso-proxy"]);
      console.log(`proxy logs:\n${logs.stdout}${logs.stderr}`);
    }
    lap("total", started);
    console.log(`swarm test timings: ${timings.join(", ")}`);
  }
});
