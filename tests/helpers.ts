/**
 * Shared pieces of the integration tests: run the real CLI as a subprocess,
 * reach instances over the real network, and clean up what a test made.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { Docker } from "../docker/mod.ts";
import { ContainerInstances, type Instance } from "../core/instances.ts";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The arguments `deno task faaso` passes to deno (its permissions and flags),
 * read from deno.json so that tests and benchmarks run FaaSO exactly as users do.
 */
export const FAASO_ARGS: string[] = (() => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as { tasks: Record<string, string> };
  const words = config.tasks.faaso!.split(/\s+/).slice(1);
  return words.map((word) => word === "main.ts" ? `${ROOT}main.ts` : word);
})();

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode faaso}. */
export interface FaasoRunOptions {
  /** Working folder. */
  cwd?: string;
  /** Text fed to standard input. */
  stdin?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** Runs `faaso ARGS` exactly as `deno task faaso` does, and collects its output. */
export async function faaso(args: string[], options: FaasoRunOptions = {}): Promise<CliRun> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [...FAASO_ARGS, ...args],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const result = await child.output();
  const decoder = new TextDecoder();
  return { code: result.code, stdout: decoder.decode(result.stdout), stderr: decoder.decode(result.stderr) };
}

/** Like {@linkcode faaso}, but throws with the output when the exit code is not 0. */
export async function faasoOk(args: string[], options: FaasoRunOptions = {}): Promise<CliRun> {
  const run = await faaso(args, options);
  if (run.code !== 0) {
    throw new Error(`faaso ${args.join(" ")} exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return run;
}

/** A funko name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
}

/** A temporary folder, removed by the returned function. */
export async function tempFolder(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "faaso-test-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

/** A Docker client for assertions, closed when disposed. */
export function testDocker(): Docker & Disposable {
  const docker = Docker.fromEnv() as Docker & Disposable;
  docker[Symbol.dispose] = () => docker.close();
  return docker;
}

/** The funko's instances as Docker reports them. */
export function instancesOf(docker: Docker, funko: string): Promise<Instance[]> {
  return new ContainerInstances(docker).list(funko);
}

/** Removes every container and image of `funko`, whatever state the test left them in. */
export async function cleanupFunko(docker: Docker, funko: string): Promise<void> {
  for (const container of await docker.containers.list({ label: [`faaso.funko=${funko}`] })) {
    await docker.containers.remove(container.Id, { force: true });
  }
  for (const image of await docker.images.list({ reference: [`faaso-${funko}`] })) {
    await docker.images.remove(image.Id, { force: true });
  }
}

/** Options for {@linkcode waitForHttp}. */
export interface WaitOptions {
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** Expected status. Default 200. */
  status?: number;
}

/** GETs `url` until it answers with the expected status; returns the body. */
export async function waitForHttp(url: string, options: WaitOptions = {}): Promise<string> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      if (response.status === (options.status ?? 200)) return body;
      last = `status ${response.status}: ${body}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${options.status ?? 200} in time (last: ${last})`);
}

/** Waits until `check` returns true, or throws `message` after the timeout. */
export async function waitUntil(check: () => Promise<boolean>, message: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Timed out: ${message}`);
}
