/**
 * Shared pieces of the integration tests: run the real CLI as a subprocess,
 * reach instances over the real network, and clean up what a test made.
 *
 * Every CLI run gets the test file's sandbox (its own HOME, config home, data
 * folder and TMPDIR, and no FAASO_* variable from the person's shell: see
 * sandbox.ts), a kill timer, and every test file a time limit (limits.ts).
 *
 * @module
 */
import { join } from "node:path";
import { Docker } from "../docker/mod.ts";
import { ContainerInstances } from "../core/container_instances.ts";
import type { Instance } from "../core/instances.ts";
import { LineStream } from "../docker/mod.ts";
import { defaultFileTimeLimit, onTimeLimit, runCommand, timedFetch, track } from "./limits.ts";
import { isolatedEnv, sandbox } from "./sandbox.ts";
import { FAASO_ARGS } from "./cli_args.ts";

export { FAASO_ARGS, ROOT } from "./cli_args.ts";
export { fileTimeLimit, runCommand, timedFetch } from "./limits.ts";
export { isolatedEnv, sandbox } from "./sandbox.ts";

defaultFileTimeLimit();

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
  /** Environment variables on top of the sandbox's (e.g. FAASO_SERVER, FAASO_DATA, DOCKER_HOST). */
  env?: Record<string, string>;
  /** Kill timer. Default COMMAND_TIMEOUT_MS (15 min). */
  timeoutMs?: number;
}

/**
 * Runs `faaso ARGS` exactly as `deno task faaso` does, in the test file's
 * sandbox, and collects its output.
 */
export async function faaso(args: string[], options: FaasoRunOptions = {}): Promise<CliRun> {
  const { code, stdout, stderr } = await runCommand(Deno.execPath(), [...FAASO_ARGS, ...args], {
    cwd: options.cwd,
    env: isolatedEnv(options.env),
    stdin: options.stdin,
    timeoutMs: options.timeoutMs,
    label: `faaso ${args.join(" ")}`,
  });
  return { code, stdout, stderr };
}

/** Like {@linkcode faaso}, but throws with the output when the exit code is not 0. */
export async function faasoOk(args: string[], options: FaasoRunOptions = {}): Promise<CliRun> {
  const run = await faaso(args, options);
  if (run.code !== 0) {
    throw new Error(`faaso ${args.join(" ")} exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return run;
}

/** A CLI run that does not end by itself (`logs -f`), read line by line as it prints. */
export interface FollowedRun extends AsyncDisposable {
  /** What it printed on stdout so far, line by line. */
  lines: string[];
  /** Resolves with the first line that matches, or throws after `timeoutMs` (default 30 s). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops it (SIGINT, as Ctrl-C does) and returns its exit code and output. */
  stop(): Promise<CliRun>;
}

/** Starts `faaso ARGS` in the test file's sandbox and follows its output (see {@linkcode FollowedRun}). */
export function faasoFollow(args: string[], options: FaasoRunOptions = {}): FollowedRun {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FAASO_ARGS, ...args],
    cwd: options.cwd,
    env: isolatedEnv(options.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = track(`faaso ${args.join(" ")} (followed)`);
  const lines: string[] = [];
  const stderr = new Response(child.stderr).text();
  const reading = (async () => {
    for await (const line of child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream())) {
      lines.push(line);
    }
  })();
  let stopped: Promise<CliRun> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGINT");
      } catch { /* ended already */ }
      const late = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const status = await child.status;
      clearTimeout(late);
      await reading;
      unregister();
      done();
      return { code: status.code, stdout: lines.map((line) => `${line}\n`).join(""), stderr: await stderr };
    })();
  const unregister = onTimeLimit(async () => void await stop());
  return {
    lines,
    waitFor: async (pattern, timeoutMs = 30_000) => {
      let found: string | undefined;
      await waitUntil(
        () => Promise.resolve((found = lines.find((line) => pattern.test(line))) !== undefined),
        `faaso ${args.join(" ")} to print ${pattern}`,
        timeoutMs,
      );
      return found!;
    },
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

/** A funko name no other test run uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
}

/** A temporary folder in the sandbox, removed by the returned function. */
export async function tempFolder(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await Deno.makeTempDir({ dir: sandbox().tmp, prefix: "faaso-test-" });
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

/**
 * Removes every container and image of `funko`, whatever state the test left
 * them in, and its secrets in the sandbox's data folder.
 */
export async function cleanupFunko(docker: Docker, funko: string): Promise<void> {
  for (const container of await docker.containers.list({ label: [`faaso.funko=${funko}`] })) {
    await docker.containers.remove(container.Id, { force: true });
  }
  for (const image of await docker.images.list({ reference: [`faaso-${funko}`] })) {
    await docker.images.remove(image.Id, { force: true });
  }
  await Deno.remove(join(sandbox().data, "secrets", funko), { recursive: true }).catch(() => {});
}

/** The socket path of a `unix://` DOCKER_HOST (what a container mounts to reach that engine). */
export function socketPath(host = Deno.env.get("DOCKER_HOST") || "unix:///var/run/docker.sock"): string {
  if (!host.startsWith("unix://")) throw new Error(`The tests need the engine on a unix socket, not ${host}`);
  return host.slice("unix://".length);
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
      const response = await timedFetch(url, { timeoutMs: 2000 });
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
