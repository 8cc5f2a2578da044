/**
 * `deno task bench`: how fast FaaSO is against what users would otherwise
 * pick, measured in the same run on the same machine (see bench/README.md).
 *
 *   deno task bench                 # every scenario
 *   deno task bench --only 1,3      # a subset
 *   deno task bench --quick         # shorter wrk runs, fewer repetitions
 *
 * Builds the bench funko, starts `faaso serve`, runs the scenarios in order,
 * prints the table, writes bench/results/ and bench/README.md's summary, and
 * removes everything it made, also when a scenario fails or on Ctrl-C.
 *
 * @module
 */
import { type BenchContext, FUNKO } from "./lib/context.ts";
import { instancesOf } from "./lib/docker.ts";
import { faaso, FAASO_ARGS, FUNKO_DIR, rssMb, run, sleep, stopAllServices } from "./lib/proc.ts";
import { textTable } from "./lib/report.ts";
import { machineInfo, saveResults } from "./lib/results.ts";
import { type FaasoProxy, startFaasoProxy } from "./lib/serve.ts";
import { proxyThroughput } from "./scenarios/s1_proxy.ts";
import { balancing } from "./scenarios/s2_balance.ts";
import { coldStart } from "./scenarios/s3_cold_start.ts";
import { routeConvergence } from "./scenarios/s4_convergence.ts";
import { deployUnderLoad } from "./scenarios/s5_deploy.ts";
import { cliStartup } from "./scenarios/s6_cli.ts";
import { proxyMemory } from "./scenarios/s7_memory.ts";
import { rebuild } from "./scenarios/s8_rebuild.ts";
import { asyncCalls } from "./scenarios/s9_async.ts";
import { scheduleJitter } from "./scenarios/s10_schedule.ts";
import { largeBodies } from "./scenarios/s11_large_bodies.ts";
import { wakeOnRequest } from "./scenarios/s12_wake.ts";
import { autoscaling } from "./scenarios/s13_autoscale.ts";
import { pausedMemory } from "./scenarios/s14_paused_memory.ts";
import { proxyCrash } from "./scenarios/s15_proxy_crash.ts";
import { removeScaled, SCALED_FUNKOS } from "./lib/scaled.ts";

/** A scenario: its number, title and what runs it. */
export interface Scenario {
  /** 1 to 15, as in bench/README.md. */
  id: number;
  /** Short title. */
  title: string;
  /** Measures and adds rows to the context. */
  run: (ctx: BenchContext) => Promise<void>;
}

/** Every scenario, in the order they run. */
export const SCENARIOS: Scenario[] = [
  { id: 1, title: "proxy throughput and latency", run: proxyThroughput },
  { id: 2, title: "balancing over 4 instances, 1 MB answers", run: balancing },
  { id: 3, title: "cold start", run: coldStart },
  { id: 4, title: "route convergence", run: routeConvergence },
  { id: 5, title: "deploy under load", run: deployUnderLoad },
  { id: 6, title: "CLI start-up", run: cliStartup },
  { id: 7, title: "proxy memory", run: proxyMemory },
  { id: 8, title: "rebuild of an unchanged funko", run: rebuild },
  { id: 9, title: "async calls: enqueue rate, enqueue to delivery", run: asyncCalls },
  { id: 10, title: "schedule jitter", run: scheduleJitter },
  { id: 11, title: "large bodies: 100 MB down and up, memory while 1 GiB passes", run: largeBodies },
  { id: 12, title: "wake on request: from paused, from stopped, a burst", run: wakeOnRequest },
  { id: 13, title: "autoscaling: a step to 64 connections and back", run: autoscaling },
  { id: 14, title: "sleeping costs: 20 funkos running, paused, stopped", run: pausedMemory },
  { id: 15, title: "proxy crash: kill -9 of the proxy container to its first answer", run: proxyCrash },
];

const USAGE = `Usage: deno task bench [--only 1,3] [--quick]

  --only LIST   run only these scenarios (numbers, comma-separated)
  --quick       shorter wrk runs (3 s) and fewer repetitions
`;

/** The command line, parsed. */
export interface BenchOptions {
  /** Scenario numbers to run. */
  only: Set<number>;
  /** Shorter runs. */
  quick: boolean;
}

/** Parses `--only LIST` and `--quick`; throws on anything else. */
export function parseArgs(args: string[]): BenchOptions {
  const options: BenchOptions = { only: new Set(SCENARIOS.map((s) => s.id)), quick: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--quick") options.quick = true;
    else if (arg === "--only" || arg.startsWith("--only=")) {
      const list = arg === "--only" ? args[++i] ?? "" : arg.slice("--only=".length);
      const ids = list.split(",").map((s) => Number(s.trim()));
      if (ids.some((id) => !SCENARIOS.some((s) => s.id === id))) {
        throw new Error(`--only ${list}: use numbers 1 to ${SCENARIOS.length}`);
      }
      options.only = new Set(ids);
    } else throw new Error(`Unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

const log = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

/** Removes what the bench made: the proxy, the funko's instances and images, stray containers. */
async function cleanUp(proxy: FaasoProxy | undefined): Promise<void> {
  await proxy?.stop();
  await stopAllServices();
  const rm = await run(Deno.execPath(), [...FAASO_ARGS, "rm", FUNKO, "--yes", "--local"]);
  // Scenarios 11 to 13's funkos, when an interrupted run left them.
  const images = await run("docker", ["images", "--format", "{{.Repository}}"]);
  for (const funko of SCALED_FUNKOS) if (images.stdout.includes(`faaso-${funko}\n`)) await removeScaled(funko);
  const leftImages = await run("docker", ["images", "-q", `faaso-${FUNKO}`]);
  if (leftImages.stdout.trim()) log(`WARNING: images left behind (faaso rm: ${rm.stderr.trim() || rm.code})`);
  const stray = await run("docker", ["ps", "-aq", "--filter", "name=^bench-cold-"]);
  const ids = stray.stdout.split("\n").filter(Boolean);
  if (ids.length) await run("docker", ["rm", "-f", ...ids]);
  const left = await instancesOf(FUNKO).catch(() => []);
  if (left.length) log(`WARNING: instances left behind: ${left.map((i) => i.name).join(", ")}`);
}

async function main(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return 0;
  }
  const options = parseArgs(args);
  const started = new Date();
  const t0 = performance.now();
  const machine = await machineInfo();
  const missing = Object.entries(machine.tools).filter(([, v]) => v === "missing").map(([k]) => k);
  if (missing.length) throw new Error(`Missing tools: ${missing.join(", ")} (apt-get install wrk hyperfine ...)`);
  if (machine.docker === "unreachable") throw new Error("The Docker engine does not answer");

  let proxy: FaasoProxy | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanOnce = () => cleaning ??= cleanUp(proxy);
  const onSignal = () => {
    log("interrupted: cleaning up");
    cleanOnce().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  const failures: string[] = [];
  const raw: Record<string, unknown> = { scenarioSeconds: {} };
  let ctx: BenchContext | undefined;
  try {
    await cleanOnce(); // leftovers of an interrupted run
    cleaning = undefined;
    log(`building ${FUNKO}`);
    raw.setupBuildMs = (await faaso(["build", FUNKO_DIR, "--name", FUNKO, "-q"])).ms;
    log("starting faaso serve");
    proxy = await startFaasoProxy();
    await sleep(1000);
    ctx = {
      quick: options.quick,
      wrkSeconds: options.quick ? 3 : 8,
      proxy,
      memory: { idle: { faaso: await rssMb(proxy.pid) }, loaded: {} },
      rows: [],
      raw,
    };
    for (const scenario of SCENARIOS.filter((s) => options.only.has(s.id))) {
      log(`scenario ${scenario.id}: ${scenario.title}`);
      const start = performance.now();
      try {
        await scenario.run(ctx);
      } catch (error) {
        const message = (error as Error).message;
        log(`scenario ${scenario.id} FAILED: ${message}`);
        failures.push(`${scenario.id} ${scenario.title}: ${message}`);
        ctx.rows.push({
          scenario: `${scenario.id} ${scenario.title}`,
          metric: "did not complete",
          unit: "text",
          faaso: NaN,
          peers: {},
          ratio: "",
          target: "",
          pass: false,
          note: message.replace(/\s+/g, " ").slice(0, 160),
        });
      }
      (raw.scenarioSeconds as Record<string, number>)[scenario.id] = (performance.now() - start) / 1000;
    }
  } finally {
    log("cleaning up");
    await cleanOnce();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  if (proxy) {
    // What faaso serve printed: errors it logged under load are findings too.
    const errors = proxy.lines.filter((line) => /error|warning/i.test(line));
    raw.serveLog = {
      lines: proxy.lines.length,
      errorLines: errors.length,
      head: proxy.lines.slice(0, 10),
      errors: errors.slice(0, 20),
    };
    if (errors.length) {
      log(`faaso serve logged ${errors.length} error/warning lines (see serveLog in the JSON results)`);
    }
  }
  const rows = ctx?.rows ?? [];
  const seconds = (performance.now() - t0) / 1000;
  console.log(textTable(rows));
  const file = await saveResults({ started: started.toISOString(), seconds, args, machine, rows, raw, failures });
  console.log(`\n${Math.round(seconds)} s. Results: ${file}, bench/results/latest.json; summary in bench/README.md`);
  return failures.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
