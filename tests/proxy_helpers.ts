/**
 * The faaso-proxy image for tests: built from proxy.Dockerfile, run the way
 * the README says (socket mounted, on faaso-net), on a random host port.
 *
 * @module
 */
import type { Docker } from "../docker/mod.ts";
import { faaso, type FaasoRunOptions, ROOT, waitForHttp } from "./helpers.ts";

/** The image the tests build. */
export const PROXY_IMAGE = "faaso-proxy:test";

let built: Promise<string> | undefined;

/**
 * Builds the proxy image once per test run, with the engine's legacy builder, and
 * returns its ID: containers start from the ID, not the shared tag, which a test
 * run from another checkout on the same engine may move meanwhile.
 */
export function buildProxyImage(): Promise<string> {
  return built ??= (async () => {
    const result = await new Deno.Command("docker", {
      args: ["build", "-q", "-f", "proxy.Dockerfile", "-t", PROXY_IMAGE, "."],
      cwd: ROOT,
      env: { DOCKER_BUILDKIT: "0" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`docker build of the proxy failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    return new TextDecoder().decode(result.stdout).trim();
  })();
}

/** A proxy container started for a test. */
export interface ProxyContainer extends AsyncDisposable {
  /** Container ID. */
  id: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The admin password. */
  password: string;
  /** Environment for CLI runs that talk to this server (logged in). */
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

/** Starts the proxy image, logs the CLI in, and returns it; disposing removes both. */
export async function startProxy(docker: Docker, options: StartProxyOptions = {}): Promise<ProxyContainer> {
  const env = options.env ?? {};
  const image = await buildProxyImage();
  const password = crypto.randomUUID();
  const name = `faaso-proxy-it-${crypto.randomUUID().slice(0, 6)}`;
  const id = await docker.containers.create(name, {
    Image: image,
    Env: [`FAASO_PASSWORD=${password}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)],
    ExposedPorts: { "8888/tcp": {} },
    HostConfig: {
      NetworkMode: "faaso-net",
      Binds: ["/var/run/docker.sock:/var/run/docker.sock"],
      PortBindings: { "8888/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
      ...(options.restart ? { RestartPolicy: { Name: "unless-stopped" as const } } : {}),
    },
  });
  const config = await Deno.makeTempDir({ prefix: "faaso-test-config-" });
  const dispose = async () => {
    await docker.containers.remove(id, { force: true });
    await Deno.remove(config, { recursive: true }).catch(() => {});
  };
  try {
    await docker.containers.start(id);
    const url = await proxyUrl(docker, id);
    await waitForHttp(`${url}/ping`, { timeoutMs: 60_000 });
    const cliEnv = { FAASO_SERVER: url, XDG_CONFIG_HOME: config };
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
    const logs = await new Deno.Command("docker", { args: ["logs", id], stdout: "piped", stderr: "piped" }).output();
    await dispose();
    throw new Error(
      `${(error as Error).message}\nproxy logs:\n${new TextDecoder().decode(logs.stdout)}${
        new TextDecoder().decode(logs.stderr)
      }`,
    );
  }
}

/** The proxy container's URL on the host (its published port changes when the engine restarts it). */
export async function proxyUrl(docker: Docker, id: string): Promise<string> {
  const inspect = await docker.containers.inspectOrNull(id);
  const ports = inspect?.NetworkSettings.Ports;
  const port = ports?.["8888/tcp"]?.[0]?.HostPort;
  if (!port) throw new Error("the proxy container has no published port");
  return `http://127.0.0.1:${port}`;
}

/** Reads the token the CLI saved for this proxy. */
export async function savedToken(proxy: ProxyContainer): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(`${proxy.env.XDG_CONFIG_HOME}/faaso/config.json`));
  return config.token;
}

/** Runs a command inside the proxy container (for checking its files). */
export async function execInProxy(proxy: ProxyContainer, command: string): Promise<{ code: number; output: string }> {
  const result = await new Deno.Command("docker", {
    args: ["exec", proxy.id, "bash", "-c", command],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: result.code, output: decoder.decode(result.stdout) + decoder.decode(result.stderr) };
}
