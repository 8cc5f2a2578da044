/**
 * The faaso-proxy image for tests: built from proxy.Dockerfile, run the way
 * the README says (socket mounted, on faaso-net), on a random host port, on
 * the host's engine or on a test engine of the test's own (engine.ts).
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import { LABELS, NETWORK } from "../core/names.ts";
import { faaso, type FaasoRunOptions, ROOT, runCommand, sandbox, socketPath, waitForHttp } from "./helpers.ts";

/** The image the tests build. */
export const PROXY_IMAGE = "faaso-proxy:test";

let built: Promise<string> | undefined;

/**
 * Builds the proxy image on the host's engine once per test file, with the
 * engine's legacy builder, and returns its ID: host containers start from the
 * ID, not the shared tag, which a test run from another checkout on the same
 * engine may move meanwhile.
 */
export function buildProxyImage(): Promise<string> {
  return built ??= (async () => {
    const result = await runCommand("docker", ["build", "-q", "-f", "proxy.Dockerfile", "-t", PROXY_IMAGE, "."], {
      cwd: ROOT,
      env: { ...Deno.env.toObject(), DOCKER_BUILDKIT: "0" },
      timeoutMs: 5 * 60_000,
    });
    if (result.code !== 0) throw new Error(`docker build of the proxy failed:\n${result.stderr}`);
    return result.stdout.trim();
  })();
}

/**
 * An engine to run the proxy on: its API client (read when needed: a test
 * engine has a new one after each restart), its DOCKER_HOST and socket path.
 */
export interface ProxyEngine {
  /** The engine's API client. */
  readonly docker: Docker;
  /** Its DOCKER_HOST (`unix:///...`). */
  readonly host: string;
  /** Its socket, mounted into the proxy container as /var/run/docker.sock. */
  readonly socketPath: string;
  /** Where it publishes ports that the host reaches (default 127.0.0.1; a test engine's own address). */
  readonly address?: string;
}

/** A proxy container started for a test. */
export interface ProxyContainer extends AsyncDisposable {
  /** Container ID. */
  id: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The admin password. */
  password: string;
  /** Environment for CLI runs that talk to this server (logged in, DOCKER_HOST set to its engine). */
  env: Record<string, string>;
  /** Runs the CLI against this server. */
  cli(args: string[], options?: FaasoRunOptions): ReturnType<typeof faaso>;
}

/** Options for {@linkcode startProxy}. */
export interface StartProxyOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Run it with the restart policy unless-stopped, as a self-hoster would. */
  restart?: boolean;
}

/**
 * Starts the proxy image, logs the CLI in, and returns it; disposing removes
 * both. It runs on `on`: the host's engine (a Docker client) or a test
 * engine, which must hold {@linkcode PROXY_IMAGE} (see {@linkcode buildProxyImage}).
 * Like `faaso up`, it creates faaso-net when the engine has none yet: the
 * README's `docker run --network=faaso-net` needs it.
 */
export async function startProxy(on: Docker | ProxyEngine, options: StartProxyOptions = {}): Promise<ProxyContainer> {
  const engine: ProxyEngine = on instanceof Docker
    ? { docker: on, host: on.transport.host, socketPath: socketPath(on.transport.host) }
    : on;
  const env = options.env ?? {};
  const built = await buildProxyImage();
  await engine.docker.networks.ensure(NETWORK, { labels: { [LABELS.role]: "network" } });
  const password = crypto.randomUUID();
  const name = `faaso-proxy-it-${crypto.randomUUID().slice(0, 6)}`;
  const id = await engine.docker.containers.create(name, {
    // A test engine holds the image by its tag, loaded from the host's.
    Image: on instanceof Docker ? built : PROXY_IMAGE,
    Env: [`FAASO_PASSWORD=${password}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
    ExposedPorts: { "8888/tcp": {} },
    HostConfig: {
      NetworkMode: NETWORK,
      Binds: [`${engine.socketPath}:/var/run/docker.sock`],
      PortBindings: { "8888/tcp": [{ HostIp: engine.address ?? "127.0.0.1", HostPort: "" }] },
      ...(options.restart ? { RestartPolicy: { Name: "unless-stopped" as const } } : {}),
    },
  });
  const config = await Deno.makeTempDir({ dir: sandbox().tmp, prefix: "faaso-test-config-" });
  const dispose = async () => {
    await engine.docker.containers.remove(id, { force: true });
    await Deno.remove(config, { recursive: true }).catch(() => {});
  };
  try {
    await engine.docker.containers.start(id);
    const url = await proxyUrl(engine.docker, id);
    await waitForHttp(`${url}/ping`, { timeoutMs: 60_000 });
    const cliEnv = { FAASO_SERVER: url, XDG_CONFIG_HOME: config, DOCKER_HOST: engine.host };
    const login = await faaso(["login"], { env: cliEnv, stdin: `${password}\n` });
    if (login.code !== 0) throw new Error(`faaso login failed: ${login.stderr}`);
    return {
      id,
      url,
      password,
      env: cliEnv,
      cli: (args, options = {}) => faaso(args, { ...options, env: { ...cliEnv, ...options.env } }),
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    const logs = await runCommand("docker", ["--host", engine.host, "logs", id], { timeoutMs: 30_000 });
    await dispose();
    throw new Error(`${(error as Error).message}\nproxy logs:\n${logs.stdout}${logs.stderr}`);
  }
}

/**
 * The proxy container's URL on the host (its published port changes when the
 * engine restarts it), at the address the port is published on.
 */
export async function proxyUrl(docker: Docker, id: string): Promise<string> {
  const inspect = await docker.containers.inspectOrNull(id);
  const ports = inspect?.NetworkSettings.Ports;
  const binding = ports?.["8888/tcp"]?.[0];
  if (!binding?.HostPort) throw new Error("the proxy container has no published port");
  const address = !binding.HostIp || binding.HostIp === "0.0.0.0" ? "127.0.0.1" : binding.HostIp;
  return `http://${address}:${binding.HostPort}`;
}

/** Reads the token the CLI saved for this proxy. */
export async function savedToken(proxy: ProxyContainer): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${proxy.env.XDG_CONFIG_HOME}/faaso/config.json`));
  return config.token;
}

/** Runs a command inside the proxy container (for checking its files). */
export async function execInProxy(proxy: ProxyContainer, command: string): Promise<{ code: number; output: string }> {
  const result = await runCommand(
    "docker",
    ["--host", proxy.env.DOCKER_HOST!, "exec", proxy.id, "bash", "-c", command],
    { timeoutMs: 60_000 },
  );
  return { code: result.code, output: result.stdout + result.stderr };
}

/** The proxy container's own output (stdout and stderr). */
export async function proxyLogs(proxy: ProxyContainer): Promise<string> {
  const result = await runCommand("docker", ["--host", proxy.env.DOCKER_HOST!, "logs", proxy.id], {
    timeoutMs: 60_000,
  });
  return result.stdout + result.stderr;
}
