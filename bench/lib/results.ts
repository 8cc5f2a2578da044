/**
 * Where a run's results go: `bench/results/<UTC timestamp>.json` and
 * `latest.json` (git-ignored), and the dated summary in bench/README.md below
 * its marker line.
 *
 * @module
 */
import { engineVersion } from "./docker.ts";
import { ROOT, run } from "./proc.ts";
import { type MachineInfo, markdownSummary, type Row } from "./report.ts";

/** The line of bench/README.md below which `deno task bench` writes. */
export const MARKER = "<!-- Everything below this line is written by `deno task bench`. -->";

/** Everything a run saved. */
export interface RunResults {
  /** When the run started (ISO, UTC). */
  started: string;
  /** How long it took, in seconds. */
  seconds: number;
  /** The command line's arguments. */
  args: string[];
  /** The machine and tools. */
  machine: MachineInfo;
  /** The table. */
  rows: Row[];
  /** Raw measurements by scenario. */
  raw: Record<string, unknown>;
  /** Scenarios that failed, with the reason. */
  failures: string[];
}

/** The first line a tool prints about its version (on stdout or stderr). */
async function toolVersion(cmd: string, args: string[]): Promise<string> {
  try {
    const result = await run(cmd, args);
    const text = `${result.stdout}\n${result.stderr}`.trim();
    const line = text.split("\n")[0] ?? "";
    return /(\d+\.\d+(\.\d+)?)/.exec(line)?.[1] ?? line;
  } catch {
    return "missing";
  }
}

/** Collects the machine's facts and the tools' versions. */
export async function machineInfo(): Promise<MachineInfo> {
  // Deno lets a program read /proc only with --allow-all: ask cat and uname.
  const cpuinfo = (await run("cat", ["/proc/cpuinfo"])).stdout;
  return {
    nproc: Number((await run("nproc", [])).stdout.trim()),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown CPU",
    kernel: (await run("uname", ["-r"])).stdout.trim() || "unknown",
    deno: `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    docker: await engineVersion().catch(() => "unreachable"),
    tools: {
      wrk: await toolVersion("wrk", ["--version"]),
      hyperfine: await toolVersion("hyperfine", ["--version"]),
      nginx: await toolVersion("nginx", ["-v"]),
      caddy: await toolVersion("caddy", ["version"]),
    },
  };
}

/** Writes the JSON results and rewrites bench/README.md's summary; returns the JSON file's path. */
export async function saveResults(results: RunResults): Promise<string> {
  const dir = `${ROOT}bench/results`;
  await Deno.mkdir(dir, { recursive: true });
  const stamp = results.started.replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  const json = JSON.stringify(results, null, 2) + "\n";
  const file = `${dir}/${stamp}.json`;
  await Deno.writeTextFile(file, json);
  await Deno.writeTextFile(`${dir}/latest.json`, json);

  const readmePath = `${ROOT}bench/README.md`;
  const readme = await Deno.readTextFile(readmePath).catch(() => "# Benchmarks\n");
  const at = readme.indexOf(MARKER);
  const intro = at >= 0 ? readme.slice(0, at) : `${readme.trimEnd()}\n\n`;
  const summary = markdownSummary(
    results.rows,
    results.machine,
    new Date(results.started),
    results.seconds,
    results.args.join(" "),
  );
  const failures = results.failures.length
    ? `\nScenarios that failed: ${results.failures.map((f) => f.split("\n")[0]).join("; ")}\n`
    : "";
  await Deno.writeTextFile(readmePath, `${intro}${MARKER}\n\n${summary}${failures}`);
  // Aligns the table as `deno fmt --check` (CI) wants it.
  await run(Deno.execPath(), ["fmt", "--quiet", readmePath]);
  return file;
}
