/**
 * `deno task soak`: FaaSO under steady load while things break, for minutes
 * (issue 14). A Docker engine of its own (tests/engine.ts: never the host's,
 * needs root), 3 echo funkos at scale 2, steady load through a `faaso serve`
 * on the host and through the proxy container on that engine (restart policy
 * `always`), and every ~20 s a fault: mostly a `kill -9` of a random
 * instance's process, every 4th a `kill -9` of the proxy container's process,
 * and one graceful restart of the engine half-way. After each fault it waits
 * until everything is back (every instance running, healthy and answering
 * through the host's proxy) and notes how long that took.
 *
 *   deno task soak                      # 10 minutes
 *   deno task soak --minutes 2          # shorter
 *
 * Prints, per fault kind: how many, failed requests through each proxy in the
 * windows that follow them (until the next fault), and recovery times
 * (median, worst); writes bench/results/soak-<UTC time>.json. Goals: 0 failed
 * requests for instance kills at scale 2 or more; every fault recovered.
 *
 * @module
 */
import { join } from "node:path";
import { startTestEngine } from "../tests/engine.ts";
import { fleet, killProcess, startFleet, waitRecovered } from "../tests/fault_kit.ts";
import { faaso, fileTimeLimit, tempFolder, uniqueName, waitForHttp } from "../tests/helpers.ts";
import { buildProxyImage, PROXY_IMAGE, startProxy } from "../tests/proxy_helpers.ts";
import { serve } from "../tests/serve_helpers.ts";
import { describeFailures, type Outcome, startTimedLoad } from "../tests/timed_load.ts";
import { ROOT } from "../tests/cli_args.ts";

/** What can break. */
type FaultKind = "instance kill -9" | "proxy container kill -9" | "engine restart";

/** One fault and what followed it. */
interface Fault {
  kind: FaultKind;
  /** When it happened (Date.now()) and what was hit. */
  at: number;
  target: string;
  /** Until everything was back (healthy and serving through the host's proxy), ms; undefined if it never was. */
  recoveryMs?: number;
  /** Why it did not recover. */
  error?: string;
  /** Failed requests that started between this fault and the next, through each proxy. */
  failedHost: number;
  failedContainer: number;
  /** The most common reasons. */
  reasons: string;
}

const SCALE = 2;
const FUNKOS = 3;
const PAUSE_MS = 20_000;

function parseMinutes(args: string[]): number {
  const i = args.indexOf("--minutes");
  if (i === -1) return 10;
  const minutes = Number(args[i + 1]);
  if (!(minutes > 0)) throw new Error(`--minutes ${args[i + 1] ?? ""}: give a number of minutes above 0`);
  return minutes;
}

const log = (text: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(args: string[]): Promise<void> {
  const minutes = parseMinutes(args);
  fileTimeLimit(import.meta.url, { minutes: minutes + 30 });
  const started = new Date();
  log("building the proxy image and starting an engine of its own");
  await buildProxyImage();
  await using engine = await startTestEngine({
    images: [PROXY_IMAGE, "debian:bookworm-slim", "denoland/deno:bin-2.9.6"],
  });
  await using folder = await tempFolder();
  const names = Array.from({ length: FUNKOS }, (_, i) => uniqueName(`soak${i}`));
  const cli = (cmd: string[], options: { env?: Record<string, string> } = {}) =>
    faaso(cmd, { env: { ...engine.env, ...options.env } });
  log(`building and starting ${names.join(", ")} at scale ${SCALE}`);
  await startFleet({ names, scale: SCALE, folder: folder.path, cli });
  await using server = await serve({ ...engine.env, FAASO_PASSWORD: crypto.randomUUID() });
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  await using proxy = await startProxy(engine, { restart: true, hostPort: port });
  const proxyBase = `http://${engine.address}:${port}`;
  const hostLoad = startTimedLoad(() => names.map((name) => `${server.url}/funko/${name}/`), { workers: 4 });
  const containerLoad = startTimedLoad(() => names.map((name) => `${proxyBase}/funko/${name}/`), { workers: 2 });
  const recovered = (since: number) =>
    waitRecovered({ docker: () => engine.docker, names, scale: SCALE, load: hostLoad, since, timeoutMs: 180_000 });
  const faults: Fault[] = [];
  try {
    await recovered(Date.now());
    log(`steady: load running; soaking for ${minutes} min`);
    const end = Date.now() + minutes * 60_000;
    let engineRestarted = false;
    for (let n = 1; Date.now() < end; n++) {
      await sleep(PAUSE_MS);
      const kind: FaultKind = !engineRestarted && Date.now() > end - minutes * 30_000
        ? "engine restart"
        : n % 4 === 0
        ? "proxy container kill -9"
        : "instance kill -9";
      const fault: Fault = { kind, at: Date.now(), target: "", failedHost: 0, failedContainer: 0, reasons: "" };
      faults.push(fault);
      if (kind === "engine restart") {
        engineRestarted = true;
        fault.target = "dockerd";
        await engine.restart();
      } else if (kind === "proxy container kill -9") {
        fault.target = "the proxy container";
        killProcess((await engine.docker.containers.inspectOrNull(proxy.id))?.State.Pid ?? 0);
      } else {
        const all = [...(await fleet(engine.docker, names)).values()].flat();
        const victim = all[Math.floor(Math.random() * all.length)]!;
        fault.target = victim.name;
        killProcess((await engine.docker.containers.inspectOrNull(victim.id))?.State.Pid ?? 0);
      }
      try {
        fault.recoveryMs = (await recovered(fault.at)).servingMs;
        if (kind !== "instance kill -9") await waitForHttp(`${proxyBase}/ping`, { timeoutMs: 60_000 });
      } catch (error) {
        fault.error = (error as Error).message;
      }
      log(
        `${kind} (${fault.target}): ${fault.recoveryMs === undefined ? fault.error : `back in ${fault.recoveryMs} ms`}`,
      );
    }
    await sleep(PAUSE_MS);
  } finally {
    await hostLoad.stop();
    await containerLoad.stop();
  }
  faults.forEach((fault, i) => {
    const next = faults[i + 1]?.at;
    const host = hostLoad.failed(fault.at, next);
    const container = containerLoad.failed(fault.at, next);
    fault.failedHost = host.length;
    fault.failedContainer = container.length;
    fault.reasons = describeFailures([...host, ...container]);
  });
  const summary = summarize(faults, hostLoad.outcomes, containerLoad.outcomes);
  console.log(summary.join("\n"));
  const dir = join(ROOT, "bench", "results");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `soak-${started.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}.json`);
  const machine = { cpus: navigator.hardwareConcurrency, loadavg: Deno.loadavg() };
  await Deno.writeTextFile(
    file,
    JSON.stringify({ started, minutes, scale: SCALE, funkos: FUNKOS, machine, faults, summary }, null, 2) + "\n",
  );
  console.log(`Results: ${file}`);
  if (faults.some((fault) => fault.error)) Deno.exitCode = 1;
}

/** Lines per fault kind: count, failed requests through each proxy, recovery median and worst. */
function summarize(faults: Fault[], host: Outcome[], container: Outcome[]): string[] {
  const lines = [
    `${host.length} requests through faaso serve on the host, ${container.length} through the proxy container`,
    "fault kind                 count  failed (host / container)  recovery median  worst  not recovered",
  ];
  for (const kind of ["instance kill -9", "proxy container kill -9", "engine restart"] as FaultKind[]) {
    const of = faults.filter((fault) => fault.kind === kind);
    if (!of.length) continue;
    const times = of.flatMap((fault) => fault.recoveryMs ?? []).sort((a, b) => a - b);
    const sum = (pick: (fault: Fault) => number) => of.reduce((total, fault) => total + pick(fault), 0);
    lines.push(
      [
        kind.padEnd(26),
        String(of.length).padStart(5),
        `${sum((f) => f.failedHost)} / ${sum((f) => f.failedContainer)}`.padStart(26),
        `${times[Math.floor(times.length / 2)] ?? "-"} ms`.padStart(16),
        `${times.at(-1) ?? "-"} ms`.padStart(9),
        String(of.filter((fault) => fault.error).length).padStart(14),
      ].join(" "),
    );
  }
  for (const fault of faults.filter((f) => f.failedHost + f.failedContainer > 0)) {
    lines.push(`  ${fault.kind} (${fault.target}): ${fault.reasons}`);
  }
  return lines;
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`soak: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
