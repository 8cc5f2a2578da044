/**
 * What the fault tests (tests/faults_test.ts) and the soak bench
 * (bench/scenarios/s11_soak.ts) share: a fleet of echo funkos on a test
 * engine of their own (tests/engine.ts), and "is everything back?" measured
 * both as Docker sees it (every instance running and healthy) and as a user
 * does (every instance answered through the proxy). No side effects on
 * import (the bench imports it).
 *
 * @module
 */
import { join } from "node:path";
import type { Docker } from "../docker/mod.ts";
import { ContainerInstances } from "../core/container_instances.ts";
import type { Instance } from "../core/instances.ts";
import { ROOT } from "./cli_args.ts";
import type { TimedLoad } from "./timed_load.ts";

/** The echo fixture: it answers GET / with its instance's name, and can crash, hang or eat memory on request. */
export const ECHO = join(ROOT, "tests", "fixtures", "echo");

/** Runs the CLI (the tests' `faaso`, the bench's own) and returns its output. */
export type CliRunner = (
  args: string[],
  options?: { env?: Record<string, string> },
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Options for {@linkcode startFleet}. */
export interface FleetOptions {
  /** Names of the funkos (unique per run). */
  names: string[];
  /** Instances of each. */
  scale: number;
  /** A folder to write the funkos into. */
  folder: string;
  /** The CLI, with DOCKER_HOST naming the test engine. */
  cli: CliRunner;
  /** funko.yml lines besides name, runtime and scale. */
  settings?: string;
}

/**
 * Funko settings that make faults quick to see: a memory limit the echo
 * fixture's /alloc can break through, and a healthcheck that says unhealthy
 * about 36 s after an instance hangs (and healthy 2 s after a start). Its
 * timeout is 10 s: at a load of 30 to 60 on 2 cores a /ping took over 1 s,
 * then over 3 s, and healthy instances were called unhealthy (and replaced).
 */
export const FAST_SETTINGS = [
  "memory: 128m",
  "healthcheck:",
  "  interval: 2s",
  "  timeout: 10s",
  "  retries: 3",
  "  start_period: 30s",
].join("\n");

/**
 * Writes each funko from the echo fixture, builds it (the first build fills
 * the engine's layer cache, the others reuse it) and starts it at `scale`,
 * one funko after the other (10 instances starting at once starve a busy
 * 2-core machine).
 */
export async function startFleet(options: FleetOptions): Promise<void> {
  for (const name of options.names) {
    const folder = join(options.folder, name);
    await Deno.mkdir(folder, { recursive: true });
    for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
    await Deno.writeTextFile(
      join(folder, "funko.yml"),
      `name: ${name}\nruntime: deno\nscale: ${options.scale}\n${options.settings ?? FAST_SETTINGS}\n`,
    );
    await cliOk(options.cli, ["build", folder, "-q"]);
  }
  for (const name of options.names) await cliOk(options.cli, ["up", name]);
}

/** Runs the CLI and throws with its output unless it exits 0. */
export async function cliOk(cli: CliRunner, args: string[], env?: Record<string, string>): Promise<string> {
  const run = await cli(args, env ? { env } : {});
  if (run.code !== 0) throw new Error(`faaso ${args.join(" ")} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** The instances of each funko, by funko. */
export async function fleet(docker: Docker, names: string[]): Promise<Map<string, Instance[]>> {
  const instances = await new ContainerInstances(docker).list();
  return new Map(names.map((name) => [name, instances.filter((instance) => instance.funko === name)]));
}

/** When everything was back, in ms after `since`. */
export interface Recovery {
  /** Every funko at its scale, every instance running and healthy (Docker's word). */
  healthyMs: number;
  /** Besides, every one of those instances answered through the proxy after `since`. */
  servingMs: number;
}

/** Options for {@linkcode waitRecovered}. */
export interface RecoveryOptions {
  /** The engine's client now (a test engine has a new one after each start). */
  docker: () => Docker;
  /** The funkos and the scale each must be back at. */
  names: string[];
  scale: number;
  /** The load through the proxy, whose answers name the instance that gave them. */
  load: TimedLoad;
  /** Counted from here (Date.now()), and only answers that started after it count. */
  since: number;
  /** Give up after this long. */
  timeoutMs: number;
}

/**
 * Waits until every funko is back at its scale, Docker calls each instance
 * healthy, and each answered through the proxy; throws with what is missing
 * after the timeout.
 */
export async function waitRecovered(options: RecoveryOptions): Promise<Recovery> {
  const deadline = options.since + options.timeoutMs;
  let healthyAt: number | undefined;
  let missing = "nothing looked at yet";
  while (Date.now() < deadline) {
    try {
      const now = await fleet(options.docker(), options.names);
      const answered = new Set(options.load.succeeded(options.since).map((outcome) => outcome.text));
      const problems: string[] = [];
      let allHealthy = true;
      for (const [name, instances] of now) {
        const healthy = instances.filter((instance) => instance.state === "running" && instance.health === "healthy");
        if (healthy.length !== options.scale || instances.length !== options.scale) {
          allHealthy = false;
          problems.push(`${name}: ${instances.map((i) => `${i.name} ${i.state} ${i.health}`).join(", ") || "none"}`);
        }
        const silent = instances.filter((instance) => !answered.has(instance.name));
        if (silent.length) problems.push(`${silent.map((i) => i.name).join(", ")} not answered yet`);
      }
      if (allHealthy) healthyAt ??= Date.now();
      if (problems.length === 0) {
        return { healthyMs: healthyAt! - options.since, servingMs: Date.now() - options.since };
      }
      missing = problems.join("; ");
    } catch (error) {
      missing = `the engine: ${(error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`Not everything came back within ${options.timeoutMs / 1000} s: ${missing}`);
}

/** Sends the process a signal on the host: `kill -9` of a container's main process is a crash, not a `docker kill`. */
export function killProcess(pid: number, signal: Deno.Signal = "SIGKILL"): void {
  if (!pid) throw new Error("Cannot kill the process: it does not run (pid 0)");
  Deno.kill(pid, signal);
}
