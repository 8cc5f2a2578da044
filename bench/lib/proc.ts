/**
 * Subprocesses for the benchmark: the FaaSO CLI exactly as `deno task faaso`
 * runs it, other tools, free ports and small timing helpers.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository's root folder (with a trailing slash). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The bench funko's folder. */
export const FUNKO_DIR = `${ROOT}bench/funko`;

import { FAASO_ARGS } from "../../tests/cli_args.ts";
import { isolatedEnv } from "../../tests/sandbox.ts";

/** The arguments of `deno` that run FaaSO as `deno task faaso` does. */
export { FAASO_ARGS };

/** What a finished command printed and returned. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
  /** Wall time in milliseconds. */
  ms: number;
}

/**
 * Runs a command to its end and collects its output. It runs in the bench's
 * sandbox (tests/sandbox.ts): its own HOME, config home, data folder and
 * TMPDIR, no FAASO_* variable from the shell, so that a saved `faaso login`
 * never turns a local measurement into one of a remote server.
 */
export async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const started = performance.now();
  const output = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env: isolatedEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    ms: performance.now() - started,
  };
}

/** Like {@linkcode run}, but throws with the output when the exit code is not 0. */
export async function runOk(cmd: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const result = await run(cmd, args, env);
  if (result.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`.trim());
  }
  return result;
}

/** Runs `faaso ARGS` in local mode and throws when it fails. */
export function faaso(args: string[]): Promise<RunResult> {
  return runOk(Deno.execPath(), [...FAASO_ARGS, ...args, "--local"]);
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The median of some numbers (NaN for none). */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of some numbers (NaN for none). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** A long-lived child process that can be stopped. */
export interface Service {
  /** The process ID. */
  pid: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for it. */
  stop(): Promise<void>;
}

/** Services not stopped yet, so that an interrupted run can stop them all. */
const running = new Set<Service>();

/**
 * Wraps a spawned child as a {@linkcode Service}; `after` runs once it has
 * stopped (removing its temporary folder, say). Until stopped, it is in the
 * set that {@linkcode stopAllServices} stops.
 */
export function service(child: Deno.ChildProcess, after: () => Promise<void> = async () => {}): Service {
  let stopped: Promise<void> | undefined;
  const self: Service = {
    pid: child.pid,
    stop: () =>
      stopped ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
        const late = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }, 5_000);
        await child.status;
        clearTimeout(late);
        await after().catch(() => {});
        running.delete(self);
      })(),
  };
  running.add(self);
  return self;
}

/** Stops every service still running (nginx, Caddy, faaso serve). */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/**
 * Resident memory in MB of a process (`tree: false`) or of it and all its
 * descendants (nginx's master and worker, say); NaN when it is gone. Read with
 * `ps` (its RSS is /proc's VmRSS): Deno allows reading /proc/PID only with
 * --allow-all.
 */
export async function rssMb(pid: number, tree = false): Promise<number> {
  const result = await run("ps", ["-e", "-o", "pid=,ppid=,rss="]);
  const rows = result.stdout.trim().split("\n").map((line) => line.trim().split(/\s+/).map(Number));
  const rss = new Map(rows.map(([p, , kb]) => [p!, kb!]));
  if (!rss.has(pid)) return NaN;
  let kb = 0;
  const queue = [pid];
  while (queue.length) {
    const current = queue.pop()!;
    kb += rss.get(current) ?? 0;
    if (tree) queue.push(...rows.filter(([, parent]) => parent === current).map(([p]) => p!));
  }
  return kb / 1024;
}

/**
 * CPU time (user plus system) a process has used, in seconds, from
 * `/proc/PID/stat` (read with cat, for the reason rssMb uses ps); NaN when
 * it is gone. Clock ticks of 10 ms: good over runs of seconds.
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await run("cat", [`/proc/${pid}/stat`])).stdout;
  // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / 100 : NaN;
}

/** Samples a process tree's RSS every 100 ms; `stop()` returns the highest seen, in MB. */
export function sampleMaxRss(pid: number): { stop(): Promise<number> } {
  let max = NaN;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = await rssMb(pid, true);
      if (!(rss <= max)) max = rss;
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const rss = await rssMb(pid, true);
      return rss > max || !Number.isFinite(max) ? rss : max;
    },
  };
}
