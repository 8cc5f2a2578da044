/**
 * Runs wrk and reads its report: requests/s, latency percentiles, errors.
 *
 * @module
 */
import { run } from "./proc.ts";

/** What one wrk run measured. */
export interface WrkResult {
  /** The URL loaded. */
  url: string;
  /** Connections kept open. */
  connections: number;
  /** Requests completed. */
  requests: number;
  /** Requests per second. */
  rps: number;
  /** Median latency in ms. */
  p50: number;
  /** 99th percentile latency in ms. */
  p99: number;
  /** Socket errors (connect, read, write, timeout) plus non-2xx/3xx answers. */
  errors: number;
  /** Bytes read per second, as wrk reports it. */
  bytesPerSec: number;
}

/** Options of {@linkcode wrk}. */
export interface WrkOptions {
  /** Connections (-c). */
  connections: number;
  /** Duration in seconds (-d). */
  seconds: number;
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Converts one of wrk's durations ("315.21us", "1.02ms", "2.00s") to ms. */
export function parseWrkTime(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!match) return NaN;
  return Number(match[1]) * TIME_UNITS[match[2]!]!;
}

/** Reads wrk's `--latency` report. */
export function parseWrk(output: string, url: string, connections: number): WrkResult {
  const number = (re: RegExp) => Number(re.exec(output)?.[1] ?? NaN);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  const non2xx = number(/Non-2xx or 3xx responses: (\d+)/) || 0;
  const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB|TB)/.exec(output);
  return {
    url,
    connections,
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: parseWrkTime(/^\s+50%\s+(\S+)/m.exec(output)?.[1] ?? ""),
    p99: parseWrkTime(/^\s+99%\s+(\S+)/m.exec(output)?.[1] ?? ""),
    errors: socketErrors + non2xx,
    bytesPerSec: transfer ? Number(transfer[1]) * SIZE_UNITS[transfer[2]!]! : NaN,
  };
}

/** Runs `wrk -t1 -cN -dS --latency URL` and parses its report. */
export async function wrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const args = ["-t1", `-c${options.connections}`, `-d${options.seconds}s`, "--latency", url];
  const result = await run("wrk", args);
  if (result.code !== 0) throw new Error(`wrk ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  const parsed = parseWrk(result.stdout, url, options.connections);
  if (!Number.isFinite(parsed.rps)) throw new Error(`Cannot read wrk's report:\n${result.stdout}`);
  return parsed;
}

/** The mean of runs of one target: requests/s and latencies averaged, counts added. */
export function meanOfRuns(runs: WrkResult[]): WrkResult {
  const avg = (pick: (w: WrkResult) => number) => runs.reduce((sum, w) => sum + pick(w), 0) / runs.length;
  const sum = (pick: (w: WrkResult) => number) => runs.reduce((total, w) => total + pick(w), 0);
  return {
    ...runs[0]!,
    requests: sum((w) => w.requests),
    rps: avg((w) => w.rps),
    p50: avg((w) => w.p50),
    p99: avg((w) => w.p99),
    errors: sum((w) => w.errors),
    bytesPerSec: avg((w) => w.bytesPerSec),
  };
}
