/**
 * Scenario 6: CLI start-up, timed by hyperfine in one run: `faaso --help` and
 * `faaso status` (as `deno task faaso` runs them) against `docker --help` and
 * `docker ps`, and an empty Deno program for reference.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { FAASO_ARGS, runOk } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";

interface HyperfineResult {
  command: string;
  mean: number;
  stddev: number;
  median: number;
  min: number;
  max: number;
}

/** Runs scenario 6 and adds its rows. */
export async function cliStartup(ctx: BenchContext): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-hyperfine-" });
  try {
    const faaso = [Deno.execPath(), ...FAASO_ARGS].join(" ");
    // The last: Deno's own start-up with an empty program, to show what FaaSO's code adds.
    const empty = `${Deno.execPath()} run data:application/javascript,0`;
    const commands = [`${faaso} --help`, `${faaso} status`, "docker --help", "docker ps", empty];
    const runs = ctx.quick ? 5 : 10;
    await runOk("hyperfine", [
      "-N",
      "--warmup",
      "2",
      "--runs",
      String(runs),
      "--export-json",
      `${dir}/cli.json`,
      ...commands,
    ]);
    const { results } = JSON.parse(await Deno.readTextFile(`${dir}/cli.json`)) as { results: HyperfineResult[] };
    const [help, status, dockerHelp, dockerPs, bare] = results.map((r) => r.mean * 1000) as number[] as [
      number,
      number,
      number,
      number,
      number,
    ];
    const rows: [string, number, string, number][] = [
      ["faaso --help", help, "docker --help", dockerHelp],
      ["faaso status", status, "docker ps", dockerPs],
    ];
    for (const [metric, value, peer, peerValue] of rows) {
      ctx.rows.push({
        scenario: "6 CLI start-up",
        metric: `${metric}, mean of ${runs}`,
        unit: "ms",
        faaso: value,
        peers: { [peer]: peerValue },
        ratio: ratioText(value, peerValue, peer),
        target: `<= 3x ${peer}`,
        pass: value <= 3 * peerValue,
        note: `an empty Deno program: ${bare.toFixed(1)} ms`,
      });
    }
    ctx.raw.cli = results;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
