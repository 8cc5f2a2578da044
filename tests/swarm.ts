/**
 * A real multi-node Docker Swarm for tests, in docker-in-docker: each node is
 * a container of the host's engine running Debian's dockerd (the node image,
 * built from the local debian:bookworm-slim and cached by its tag), with the
 * flags this VM allows (no --privileged: it withholds CAP_SYS_RESOURCE), its
 * /var/lib/docker on a tmpfs (nothing left on disk), its containers under
 * the cgroup /dind-NODE, and a registry on the host (Debian's
 * docker-registry, the CNCF distribution registry) that every node trusts.
 *
 * ```ts
 * await using swarm = await startSwarm({ workers: 2 });
 * await swarm.copyImages(["debian:bookworm-slim"]);  // host engine -> manager
 * await faaso(["status"], { env: swarm.env });       // DOCKER_HOST=the manager, FAASO_REGISTRY
 * await swarm.docker(swarm.manager, ["node", "ls"]);
 * ```
 *
 * Disposing it removes the nodes (and whatever ran in them), their cgroups,
 * the network, the registry and its storage; a run that was killed is swept
 * by the next one (its nodes carry the pid of the test process).
 *
 * @module
 */
import { join } from "node:path";
import { Docker, LineStream } from "../docker/mod.ts";
import { onTimeLimit } from "./limits.ts";
import { type CommandOutput, LABEL, removeSwarm, run, runOk, sweepStale } from "./swarm_cleanup.ts";

export { type CommandOutput, run, runOk, sweepStale };

/** The node image: Debian's docker.io on the local Debian base. */
const NODE_DOCKERFILE = `FROM debian:bookworm-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends docker.io iproute2 iptables ca-certificates procps \\
 && apt-get clean && rm -rf /var/lib/apt/lists/*
LABEL faaso.test=swarm-node
`;

/** What the test swarm can do with a node. */
export interface SwarmNode {
  /** Its container (and host) name. */
  name: string;
  /** Its address on the swarm's network, reachable from the host. */
  address: string;
}

/** Options for {@linkcode startSwarm}. */
export interface SwarmOptions {
  /** Worker nodes besides the manager. Default 2. */
  workers?: number;
}

/** Builds the node image unless the host's engine has it (its tag is a hash of its Dockerfile). */
export async function nodeImage(): Promise<string> {
  const hash = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(NODE_DOCKERFILE))).slice(0, 6),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const tag = `faaso-test-swarm-node:${hash}`;
  if ((await run("docker", ["image", "inspect", tag])).code === 0) return tag;
  const folder = await Deno.makeTempDir({ prefix: "faaso-swarm-node-" });
  try {
    await Deno.writeTextFile(join(folder, "Dockerfile"), NODE_DOCKERFILE);
    const build = await run("docker", ["build", "-q", "--force-rm", "-t", tag, folder]);
    if (build.code !== 0) throw new Error(`Cannot build the swarm node image: ${build.stderr}`);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
  return tag;
}

/** A swarm of docker-in-docker nodes and a registry they pull from. */
export class TestSwarm implements AsyncDisposable {
  /** Names everything this swarm made. */
  readonly id: string;
  /** The manager node. */
  manager!: SwarmNode;
  /** The worker nodes. */
  workers: SwarmNode[] = [];
  /** `unix:///tmp/.../docker.sock`: the manager's Engine API, from the host. */
  dockerHost = "";
  /** `GATEWAY:PORT`: the registry, as nodes (and FAASO_REGISTRY) name it. */
  registry = "";
  #folder = "";
  #network = "";
  #registry: Deno.ChildProcess | undefined;
  #clients: Docker[] = [];
  #unregister: () => void;

  constructor() {
    this.id = `faaso-swarm-${crypto.randomUUID().slice(0, 6)}`;
    // A test file that runs out of time disposes of its swarm before it fails.
    this.#unregister = onTimeLimit(() => this[Symbol.asyncDispose]());
  }

  /** Every node, the manager first. */
  get nodes(): SwarmNode[] {
    return [this.manager, ...this.workers];
  }

  /** Environment for FaaSO in local mode on this swarm: its manager and registry. */
  get env(): Record<string, string> {
    return { DOCKER_HOST: this.dockerHost, FAASO_REGISTRY: this.registry };
  }

  /** An Engine API client of the manager (closed when the swarm is disposed). */
  managerDocker(): Docker {
    const docker = new Docker({ host: this.dockerHost });
    this.#clients.push(docker);
    return docker;
  }

  /** Runs `docker ARGS` inside a node (its own engine). */
  docker(node: SwarmNode, args: string[]): Promise<CommandOutput> {
    return run("docker", ["exec", node.name, "docker", ...args]);
  }

  /** Like {@linkcode docker}, but throws with the output when it fails. */
  async dockerOk(node: SwarmNode, args: string[]): Promise<string> {
    const output = await this.docker(node, args);
    if (output.code !== 0) throw new Error(`docker ${args.join(" ")} on ${node.name} failed: ${output.stderr}`);
    return output.stdout;
  }

  /** Copies images from the host's engine into the manager's (docker save | docker load, through the Engine API). */
  async copyImages(images: string[]): Promise<void> {
    const host = Docker.fromEnv();
    try {
      // The engine takes `names` repeated; the transport's query takes one value per key.
      const query = images.map((image) => `names=${encodeURIComponent(image)}`).join("&");
      const tar = await host.transport.request("GET", `/images/get?${query}`, { expect: [200] });
      const loaded = await this.managerDocker().transport.request("POST", "/images/load", {
        query: { quiet: "1" },
        body: tar.body!,
        headers: { "content-type": "application/x-tar" },
        expect: [200],
      });
      const text = await loaded.text();
      if (/errorDetail/.test(text)) throw new Error(`Cannot load ${images.join(", ")} into the manager: ${text}`);
    } finally {
      host.close();
    }
  }

  /** Stops a node's container (its dockerd stops its tasks first, as a machine shutting down would). */
  async stop(node: SwarmNode): Promise<void> {
    await runOk("docker", ["stop", node.name]);
  }

  /** Starts the registry, the network, the nodes, and makes them a swarm. */
  async start(options: SwarmOptions, image: string): Promise<void> {
    this.#folder = await Deno.makeTempDir({ prefix: `${this.id}-` });
    // For the sweep of a later run, should this one be killed before it disposes of its swarm.
    await Deno.writeTextFile(join(this.#folder, "owner.pid"), String(Deno.pid));
    await Deno.mkdir(join(this.#folder, "manager"));
    this.#network = this.id;
    await runOk("docker", ["network", "create", "--label", LABEL, "--label", `faaso.test.pid=${Deno.pid}`, this.id]);
    const [subnet, gateway] = (await runOk("docker", [
      "network",
      "inspect",
      "-f",
      "{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}",
      this.id,
    ])).trim().split(" ");
    this.registry = await this.#startRegistry(gateway!);
    const names = ["manager", ...Array.from({ length: options.workers ?? 2 }, (_, i) => `worker${i + 1}`)];
    const nodes = await Promise.all(names.map((role) => this.#startNode(role, image, subnet!)));
    [this.manager, ...this.workers] = nodes as [SwarmNode, ...SwarmNode[]];
    this.dockerHost = `unix://${join(this.#folder, "manager", "docker.sock")}`;
    await this.dockerOk(this.manager, ["swarm", "init", "--advertise-addr", this.manager.address]);
    const token = (await this.dockerOk(this.manager, ["swarm", "join-token", "-q", "worker"])).trim();
    await Promise.all(
      this.workers.map((worker) =>
        this.dockerOk(worker, [
          "swarm",
          "join",
          "--advertise-addr",
          worker.address,
          "--token",
          token,
          `${this.manager.address}:2377`,
        ])
      ),
    );
  }

  /** Debian's docker-registry on the network's gateway (a host address every node reaches), on a free port. */
  async #startRegistry(gateway: string): Promise<string> {
    const config = join(this.#folder, "registry.yml");
    await Deno.writeTextFile(
      config,
      `version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n` +
        `    rootdirectory: ${join(this.#folder, "registry")}\nhttp:\n  addr: ${gateway}:0\n`,
    );
    const child = new Deno.Command("docker-registry", { args: ["serve", config], stdout: "null", stderr: "piped" })
      .spawn();
    this.#registry = child;
    await Deno.writeTextFile(join(this.#folder, "registry.pid"), String(child.pid));
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream()).getReader();
    const seen: string[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    try {
      while (true) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`docker-registry did not start:\n${seen.join("\n")}`);
        seen.push(value);
        const address = /listening on ([\d.]+:\d+)/.exec(value)?.[1];
        if (address) {
          // Keep reading, so that its log never fills the pipe.
          (async () => {
            while (!(await lines.read()).done) { /* discard */ }
          })().catch(() => {});
          return address;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** One node: dockerd in a container, trusting the registry's network, its data on a tmpfs. */
  async #startNode(role: string, image: string, subnet: string): Promise<SwarmNode> {
    const name = `${this.id}-${role}`;
    const manager = role === "manager";
    const dns = await hostResolvers();
    await runOk("docker", [
      "run",
      "-d",
      "--name",
      name,
      "--hostname",
      name,
      "--network",
      this.#network,
      "--label",
      LABEL,
      "--label",
      `faaso.test.pid=${Deno.pid}`,
      // What docker-in-docker needs, short of --privileged (see ENVIRONMENT.md).
      "--cap-add",
      "ALL",
      "--cap-drop",
      "SYS_RESOURCE",
      "--security-opt",
      "seccomp=unconfined",
      "--security-opt",
      "apparmor=unconfined",
      "--security-opt",
      "systempaths=unconfined",
      "-v",
      "/sys/fs/cgroup:/sys/fs/cgroup:rw",
      "--mount",
      "type=tmpfs,destination=/var/lib/docker",
      ...(manager ? ["-v", `${join(this.#folder, "manager")}:/run/host`] : []),
      image,
      "dockerd",
      `--cgroup-parent=/dind-${name}`,
      `--insecure-registry=${subnet}`,
      ...dns.map((ip) => `--dns=${ip}`),
      "-H",
      "unix:///var/run/docker.sock",
      ...(manager ? ["-H", "unix:///run/host/docker.sock"] : []),
    ]);
    const deadline = Date.now() + 60_000;
    while ((await this.docker({ name, address: "" }, ["version"])).code !== 0) {
      if (Date.now() > deadline) {
        const logs = await run("docker", ["logs", "--tail", "20", name]);
        throw new Error(`The swarm node ${name} did not start:\n${logs.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const address = (await runOk("docker", [
      "inspect",
      "-f",
      `{{(index .NetworkSettings.Networks "${this.#network}").IPAddress}}`,
      name,
    ])).trim();
    return { name, address };
  }

  /** Removes the nodes, their cgroups, the network, the registry and its files. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#unregister();
    for (const client of this.#clients) client.close();
    await removeSwarm(this.id);
    if (this.#registry) {
      try {
        this.#registry.kill("SIGTERM");
      } catch { /* already gone */ }
      await this.#registry.status;
    }
    if (this.#folder) await Deno.remove(this.#folder, { recursive: true }).catch(() => {});
  }
}

/**
 * The host's DNS servers, for the containers the nodes run: a node's own
 * resolv.conf names Docker's embedded resolver, which its nested containers
 * cannot reach (dockerd would fall back to public servers). systemd-resolved's
 * upstream list stands in for a loopback stub.
 */
async function hostResolvers(): Promise<string[]> {
  for (const file of ["/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"]) {
    const text = await Deno.readTextFile(file).catch(() => "");
    const servers = text.split("\n").map((line) => /^nameserver\s+(\S+)/.exec(line)?.[1])
      .filter((ip): ip is string => !!ip && !ip.startsWith("127.") && ip !== "::1");
    if (servers.length) return servers;
  }
  return [];
}

/** Starts a swarm: a manager and `workers` workers, and a registry; dispose it with `await using`. */
export async function startSwarm(options: SwarmOptions = {}): Promise<TestSwarm> {
  if (Deno.uid() !== 0) throw new Error("Cannot start a test swarm: docker-in-docker nodes need root");
  await sweepStale();
  const image = await nodeImage();
  const swarm = new TestSwarm();
  try {
    await swarm.start(options, image);
    return swarm;
  } catch (error) {
    await swarm[Symbol.asyncDispose]();
    throw error;
  }
}
