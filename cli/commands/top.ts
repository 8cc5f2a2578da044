/**
 * `faaso top [NAME...]`: every funko's traffic as the server counts it,
 * live, like `docker stats`: redrawn in place on a terminal until Ctrl-C,
 * one table when piped (or with --once), one JSON report with --json.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { formatMs, formatPercent, formatRate, type TrafficReport } from "../../core/traffic.ts";
import type { Backend } from "../backend.ts";
import type { CliContext } from "../context.ts";

const CLEAR = "\x1b[H\x1b[2J";
const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";
const BARS = "▁▂▃▄▅▆▇█";

/** Adds `top` to the program. */
export function topCommand(program: Command, ctx: CliContext): void {
  program.command("top")
    .summary("show each funko's requests/s, errors and latency, live")
    .description(
      "Like docker stats: every funko's (or only NAMEs') traffic over the last minute as the server counts it: " +
        "requests/s, the share of 5xx answers, median and 99th percentile latency, requests in flight, ready " +
        "instances, and a line of the last 15 minutes (one mark a minute). On a terminal it redraws every 2 s " +
        "until Ctrl-C; piped, or with --once, it prints one table. It needs a server: FAASO_SERVER (or faaso " +
        "login), or a faaso serve running on this machine with the same data folder.",
    )
    .argument("[names...]", "only these funkos")
    .option("--once", "print one table and exit (what it does when piped)")
    .option("--interval <seconds>", "seconds between redraws", "2")
    .option("--window <seconds>", "the seconds the figures cover, 1 to 3600", "60")
    .option("--json", "print one report as JSON and exit")
    .option("-l, --local", "ask the faaso serve of this machine even when a server is configured")
    .action(async (names, options) => {
      const interval = Number(options.interval);
      if (!(interval >= 0.2 && interval <= 3600)) {
        throw new FaasoError(`--interval ${options.interval}: use a number of seconds from 0.2 to 3600`);
      }
      const window = Number(options.window);
      if (!/^\d+$/.test(options.window) || window < 1 || window > 3600) {
        throw new FaasoError(`--window ${options.window}: use a whole number of seconds from 1 to 3600`);
      }
      const backend = await ctx.backend(options);
      const read = () => report(backend, window);
      if (options.json) return ctx.output.json(only(await read(), names));
      const out = ctx.output.stdout;
      if (options.once || !out.isTerminal) {
        for (const line of table(only(await read(), names), ctx)) ctx.output.print(line);
        return;
      }
      await live(ctx, () => read().then((r) => only(r, names)), interval * 1000);
    });
}

/** The server's report, or the error that says why there is none. */
async function report(backend: Backend, window: number): Promise<TrafficReport> {
  const traffic = await backend.traffic(window);
  if (traffic) return traffic;
  throw new FaasoError(
    backend.where === "this machine"
      ? "Cannot show traffic: no faaso serve answers on this machine (start one with the same data folder, " +
        "FAASO_DATA, or set FAASO_SERVER to ask a server elsewhere)"
      : `Cannot show traffic: the server at ${backend.where} counts none (it runs with --no-metrics)`,
  );
}

/** Redraws the table every `everyMs` until Ctrl-C; a failed read shows as a line and is tried again. */
async function live(ctx: CliContext, read: () => Promise<TrafficReport>, everyMs: number): Promise<void> {
  const out = ctx.output.stdout;
  const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGINT", stop);
  out.write(HIDE_CURSOR);
  try {
    while (true) {
      let lines: string[];
      try {
        lines = table(await read(), ctx);
      } catch (error) {
        lines = [ctx.output.colors.red(`Cannot read the figures: ${(error as Error).message}`)];
      }
      out.write(`${CLEAR}${lines.join("\n")}\n`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = new Promise<"next">((resolve) => timer = setTimeout(() => resolve("next"), everyMs));
      const outcome = await Promise.race([next, stopped.then(() => "stop" as const)]);
      clearTimeout(timer);
      if (outcome === "stop") break;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    out.write(SHOW_CURSOR);
  }
}

/** The report with only the named funkos (every one when none is named); unknown names get empty rows. */
function only(report: TrafficReport, names: string[]): TrafficReport {
  if (names.length === 0) return report;
  const funkos: TrafficReport["funkos"] = {};
  for (const name of names) {
    funkos[name] = report.funkos[name] ?? {
      requests: 0,
      rps: 0,
      errors: 0,
      errorRate: 0,
      p50Ms: null,
      p99Ms: null,
      inFlight: 0,
      instances: { ready: 0, total: 0 },
      spark: [],
    };
  }
  return { ...report, funkos };
}

/** The table's lines: a header, then one row per funko. */
function table(report: TrafficReport, ctx: CliContext): string[] {
  const c = ctx.output.colors;
  const header = ["FUNKO", "READY", "REQ/S", "ERRORS", "P50", "P99", "IN FLIGHT", "LAST 15 MIN"];
  const rows = Object.entries(report.funkos).map(([name, s]) => [
    name,
    `${s.instances.ready}/${s.instances.total}`,
    formatRate(s.rps),
    formatPercent(s.errorRate),
    formatMs(s.p50Ms),
    formatMs(s.p99Ms),
    String(s.inFlight),
    sparkline(s.spark),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("   ").trimEnd();
  const seconds = report.windowSeconds;
  const title = `${new Date(report.at).toISOString().slice(11, 19)} UTC · last ${seconds} s`;
  if (rows.length === 0) return [c.dim(title), "No funkos with instances or traffic yet"];
  return [c.dim(title), c.bold(line(header)), ...rows.map(line)];
}

/** One mark a minute from 10-second steps: the last 15 minutes in 15 characters. */
export function sparkline(steps: number[]): string {
  const minutes: number[] = [];
  for (let i = 0; i + 6 <= steps.length; i += 6) minutes.push(steps.slice(i, i + 6).reduce((a, b) => a + b, 0));
  const max = Math.max(0, ...minutes);
  if (max === 0) return minutes.length ? "·".repeat(minutes.length) : "";
  return minutes.map((n) => n === 0 ? "·" : BARS[Math.min(BARS.length - 1, Math.floor(n / max * BARS.length))]!)
    .join("");
}
