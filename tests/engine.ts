/**
 * A Docker engine of the test's own, for tests that restart or break one
 * (never the host's: restarting it stops every other container on the
 * machine). It is a second `dockerd` on the same host with its own socket,
 * data root, exec root, pid file, address pool and cgroup, in a network
 * namespace of its own linked to the host (see engine_host.ts for why), and it
 * leaves the host's engine, containers, bridges and firewall rules alone.
 * The host reaches its containers at their addresses, as it reaches the host
 * engine's, and the ports it publishes at {@linkcode TestEngine.address}.
 *
 * ```ts
 * await using engine = await startTestEngine({ images: ["debian:bookworm-slim"] });
 * await engine.docker.containers.list();          // its own Engine API client
 * await faaso(["status"], { env: engine.env });   // DOCKER_HOST=unix:///run/faaso-test-engines/N/docker.sock
 * await engine.restart();                         // SIGTERM, wait for the old process, start again
 * await engine.kill();                            // kill -9, wait for the old process
 * await engine.start();                           // and up again
 * ```
 *
 * Disposing it (or the file's time limit running out, or the test file's
 * module going away) removes its containers, stops it, and sweeps its
 * processes, mounts, firewall rules, bridges, cgroups and folders.
 *
 * Needs root (dockerd, ip, iptables), as CI has.
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import { claimSlot, createNetwork, type SlotLayout, sweepSlot } from "./engine_host.ts";
import { loadImages } from "./engine_images.ts";
import { onTimeLimit, runCommand } from "./limits.ts";

/** Options for {@linkcode startTestEngine}. */
export interface TestEngineOptions {
  /** Images of the host's engine to load into it (e.g. the base images a build needs). */
  images?: string[];
  /** How long it may take to answer after it is started. Default 60 s. */
  startTimeoutMs?: number;
}

/** Starts a second Docker engine for one test; dispose it with `await using`. */
export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  if (Deno.uid() !== 0) {
    throw new Error(
      "Cannot start a test engine: a second dockerd needs root (dockerd, ip, iptables); run the tests as root",
    );
  }
  const engine = new TestEngine(claimSlot(), options.startTimeoutMs ?? 60_000);
  try {
    engine.prepare();
    await engine.start();
    if (options.images?.length) await engine.loadImages(options.images);
    return engine;
  } catch (error) {
    await engine.destroy();
    throw error;
  }
}

/** A second dockerd of the test's own. */
export class TestEngine implements AsyncDisposable {
  /** Its names, paths and address ranges on the host. */
  readonly layout: SlotLayout;
  /** `unix:///run/faaso-test-engines/N/docker.sock`: the DOCKER_HOST that reaches it. */
  readonly host: string;
  /** `{ DOCKER_HOST }` for a FaaSO process (or the docker CLI) that must use this engine. */
  readonly env: { DOCKER_HOST: string };
  /** How long each start took, in ms (first start first). */
  readonly startTimes: number[] = [];
  #startTimeoutMs: number;
  #child: Deno.ChildProcess | undefined;
  #status: Promise<Deno.CommandStatus> | undefined;
  #docker: Docker | undefined;
  #destroyed: Promise<void> | undefined;
  #unregister: () => void = () => {};
  #onUnload = () => sweepSlot(this.layout);

  constructor(layout: SlotLayout, startTimeoutMs: number) {
    this.layout = layout;
    this.host = `unix://${layout.socketPath}`;
    this.env = { DOCKER_HOST: this.host };
    this.#startTimeoutMs = startTimeoutMs;
  }

  /** The Engine API client of the running engine (a new one after each start). */
  get docker(): Docker {
    if (!this.#docker) throw new Error(`The test engine ${this.layout.tag} is not running`);
    return this.#docker;
  }

  /** The path of its API socket (what a container mounts to reach it). */
  get socketPath(): string {
    return this.layout.socketPath;
  }

  /**
   * Its address as the host sees it (`10.212.N.2`): publish ports on it
   * (`HostIp`) and reach them there; the engine's 127.0.0.1 is its own.
   */
  get address(): string {
    return this.layout.engineAddress;
  }

  /** The running dockerd's process ID, if it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Creates its network namespace, link to the host, rules and folders (once, before the first start). */
  prepare(): void {
    // Whatever happens to the test, the slot is swept: on the time limit, or when the module goes.
    this.#unregister = onTimeLimit(() => this.destroy());
    globalThis.addEventListener("unload", this.#onUnload);
    Deno.mkdirSync(this.layout.dataRoot, { recursive: true, mode: 0o711 });
    Deno.mkdirSync(this.layout.execRoot, { recursive: true, mode: 0o700 });
    // Its own config file: the host's /etc/docker/daemon.json is not for this engine.
    Deno.writeTextFileSync(`${this.layout.runDir}/daemon.json`, "{}\n");
    createNetwork(this.layout);
  }

  /** Starts dockerd and waits until its API answers. */
  async start(): Promise<void> {
    if (this.#child) throw new Error(`The test engine ${this.layout.tag} is already running`);
    const started = performance.now();
    const layout = this.layout;
    await forgetDeadProcess(`${layout.execRoot}/containerd/containerd.pid`);
    await forgetDeadProcess(layout.pidFile);
    const args = [
      ["--config-file", `${layout.runDir}/daemon.json`],
      ["--host", this.host],
      ["--data-root", layout.dataRoot],
      ["--exec-root", layout.execRoot],
      ["--pidfile", layout.pidFile],
      ["--default-address-pool", `base=${layout.pool},size=24`],
      ["--cgroup-parent", `/${layout.tag}`],
    ].flat();
    // exec, and nsenter execs too: the child's pid is dockerd's own; its output goes to the slot's log.
    // (Not `ip netns exec`: it mounts a /sys of its own, without the cgroup file systems dockerd needs.)
    this.#child = new Deno.Command("bash", {
      args: [
        "-c",
        'exec nsenter --net="/run/netns/$FAASO_ENGINE_NETNS" dockerd "$@" >>"$FAASO_ENGINE_LOG" 2>&1',
        "dockerd",
        ...args,
      ],
      env: { FAASO_ENGINE_LOG: layout.logFile, FAASO_ENGINE_NETNS: layout.netns },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#status = this.#child.status;
    await this.#waitForApi();
    this.#docker = new Docker({ host: this.host });
    this.startTimes.push(performance.now() - started);
  }

  /** Stops dockerd gracefully (SIGTERM; SIGKILL after `timeoutMs`) and waits for its process to exit. */
  async stop(timeoutMs = 60_000): Promise<void> {
    if (!this.#child) return;
    this.#closeClient();
    this.#signal("SIGTERM");
    const late = setTimeout(() => this.#signal("SIGKILL"), timeoutMs);
    try {
      await this.#status;
    } finally {
      clearTimeout(late);
      this.#child = undefined;
    }
  }

  /** `kill -9` of dockerd, and waits for its process to be gone. Its containers' processes live on, as with a crash. */
  async kill(): Promise<void> {
    if (!this.#child) return;
    this.#closeClient();
    this.#signal("SIGKILL");
    await this.#status;
    this.#child = undefined;
  }

  /** A graceful restart: stop, wait for the old process to exit, start. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Loads images of the host's engine into this one (cached as a tar per set of images). */
  async loadImages(images: string[]): Promise<void> {
    await loadImages(images, this.docker);
  }

  /** Runs the docker CLI against this engine. */
  cli(args: string[], options: { stdin?: string; timeoutMs?: number } = {}): ReturnType<typeof runCommand> {
    return runCommand("docker", ["--host", this.host, ...args], options);
  }

  /** The last lines of dockerd's output, for a failure message. */
  logTail(lines = 30): string {
    try {
      return Deno.readTextFileSync(this.layout.logFile).trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  /**
   * Removes its containers and networks, stops it, and sweeps everything of
   * it off the host. A stopped or killed engine is started first, so that it
   * removes what it runs itself; the sweep catches what is left either way.
   */
  destroy(): Promise<void> {
    return this.#destroyed ??= (async () => {
      try {
        if (!this.#child) await this.start().catch(() => {});
        if (this.#docker) await this.#removeEverything().catch(() => {});
        await this.stop(30_000).catch(() => {});
      } finally {
        this.#closeClient();
        sweepSlot(this.layout);
        this.#unregister();
        globalThis.removeEventListener("unload", this.#onUnload);
      }
    })();
  }

  /** Same as {@linkcode destroy}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }

  async #removeEverything(): Promise<void> {
    const docker = this.docker;
    const signal = AbortSignal.timeout(60_000);
    const containers = await docker.containers.list({}, { all: true, signal });
    await Promise.all(containers.map((c) => docker.containers.remove(c.Id, { force: true, signal })));
    const networks = await docker.transport.json<{ Name: string }[]>("GET", "/networks", { signal });
    for (const network of networks) {
      if (!["bridge", "host", "none"].includes(network.Name)) await docker.networks.remove(network.Name, signal);
    }
  }

  async #waitForApi(): Promise<void> {
    using client = Deno.createHttpClient({ proxy: { transport: "unix", path: this.layout.socketPath } });
    const deadline = Date.now() + this.#startTimeoutMs;
    let exited: Deno.CommandStatus | undefined;
    this.#status!.then((status) => exited = status);
    while (Date.now() < deadline) {
      if (exited) {
        this.#child = undefined;
        throw new Error(`The test engine's dockerd exited with ${exited.code} at start:\n${this.logTail()}`);
      }
      try {
        const response = await fetch("http://docker/_ping", { client, signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.ok) return;
      } catch { /* not listening yet */ }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.#signal("SIGKILL");
    await this.#status;
    this.#child = undefined;
    throw new Error(`The test engine did not answer within ${this.#startTimeoutMs} ms:\n${this.logTail()}`);
  }

  #signal(signal: Deno.Signal): void {
    try {
      this.#child?.kill(signal);
    } catch { /* already gone */ }
  }

  #closeClient(): void {
    this.#docker?.close();
    this.#docker = undefined;
  }
}

/**
 * Waits (up to 10 s) for the process a pid file names to end, and removes
 * the file once it has. After a `kill -9` of dockerd its containerd dies too
 * but may linger as a zombie until init reaps it; a pid file naming it makes
 * the next dockerd wait for that containerd's socket and fail.
 */
async function forgetDeadProcess(pidFile: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile)).trim());
  } catch {
    return;
  }
  const deadline = Date.now() + 10_000;
  while (pid && running(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!pid || !running(pid)) await Deno.remove(pidFile).catch(() => {});
}

/** Whether a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}
