/**
 * The benchmark's results: rows with FaaSO's figure, its peers', ratios and a
 * verdict against the target; printed as a table and rendered as Markdown.
 *
 * @module
 */

/** How a figure is printed. */
export type Unit = "req/s" | "ms" | "µs" | "MB" | "MB/s" | "count" | "%" | "text";

/** One line of the results table. */
export interface Row {
  /** Scenario number and short title, e.g. "1 proxy c32". */
  scenario: string;
  /** What is measured, e.g. "requests/s". */
  metric: string;
  /** How the figures are printed. */
  unit: Unit;
  /** FaaSO's figure. */
  faaso: number;
  /** The peers' figures in the same run, by name (direct, nginx, caddy, docker...). */
  peers: Record<string, number>;
  /** Ratios as text, e.g. "0.41x nginx". */
  ratio: string;
  /** The target as text; "" when there is none. */
  target: string;
  /** Whether the target is met; undefined when there is none. */
  pass?: boolean;
  /** A short remark. */
  note?: string;
}

/** Formats a figure in its unit. */
export function formatValue(value: number, unit: Unit): string {
  if (!Number.isFinite(value)) return "n/a";
  switch (unit) {
    case "req/s":
      return Math.round(value).toLocaleString("en-US");
    case "ms":
      return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString("en-US");
    case "µs":
      return value.toFixed(1);
    case "MB":
    case "MB/s":
      return value.toFixed(1);
    case "%":
      return `${value.toFixed(1)}%`;
    default:
      return String(Math.round(value * 100) / 100);
  }
}

/** `a / b` as "1.23x NAME" (n/a when either is missing). */
export function ratioText(a: number, b: number, name: string): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return `n/a ${name}`;
  return `${(a / b).toFixed(2)}x ${name}`;
}

/** The verdict column. */
function verdict(row: Row): string {
  return row.pass === undefined ? "" : row.pass ? "PASS" : "MISS";
}

/** The cells of a row, in column order. */
function cells(row: Row): string[] {
  const unit = row.unit === "text" || row.unit === "count" ? "" : ` ${row.unit}`;
  const peers = Object.entries(row.peers).map(([name, value]) => `${name} ${formatValue(value, row.unit)}`).join(", ");
  return [
    row.scenario,
    row.metric,
    `${formatValue(row.faaso, row.unit)}${unit}`,
    peers,
    row.ratio,
    row.target,
    verdict(row),
    row.note ?? "",
  ];
}

const HEADER = ["scenario", "metric", "FaaSO", "peers (same run)", "ratio", "target", "", "note"];

/** The rows as a plain-text table for the terminal. */
export function textTable(rows: Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  return [format(table[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...table.slice(1).map(format)].join("\n");
}

/** The rows as a Markdown table. */
export function markdownTable(rows: Row[]): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const lines = [
    `| ${HEADER.map((h) => h || "verdict").join(" | ")} |`,
    `| ${HEADER.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${cells(row).map(escape).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/** The machine and tools a run measured on. */
export interface MachineInfo {
  /** Processors available (nproc). */
  nproc: number;
  /** CPU model from /proc/cpuinfo. */
  cpu: string;
  /** Kernel release. */
  kernel: string;
  /** `deno --version`, first line. */
  deno: string;
  /** Docker engine version. */
  docker: string;
  /** Versions of wrk, hyperfine, nginx and caddy. */
  tools: Record<string, string>;
}

/** The Markdown section below bench/README.md's marker line. */
export function markdownSummary(rows: Row[], machine: MachineInfo, started: Date, seconds: number, args: string) {
  const date = started.toISOString().replace("T", " ").slice(0, 16);
  const passes = rows.filter((r) => r.pass === true).length;
  const misses = rows.filter((r) => r.pass === false).length;
  return [
    `## Latest run: ${date} UTC`,
    "",
    `\`deno task bench${args ? ` ${args}` : ""}\`, ${Math.round(seconds)} s; targets: ${passes} met, ${misses} missed.`,
    "",
    `- Machine: ${machine.nproc} CPUs (${machine.cpu}), Linux ${machine.kernel}`,
    `- ${machine.deno}; Docker engine ${machine.docker}`,
    `- ${Object.entries(machine.tools).map(([name, version]) => `${name} ${version}`).join(", ")}`,
    "",
    markdownTable(rows),
    "",
  ].join("\n");
}
