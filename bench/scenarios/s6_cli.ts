/**
 * Scenario 6: CLI start-up, timed by hyperfine in one run: `faaso --help` and
 * `faaso status` through the installed `faaso` (as `bash .ci/setup` leaves it
 * on PATH; installed here into a folder of the bench's own, from this
 * checkout), against an empty Deno program: what FaaSO adds to Deno's own
 * start. `docker --help` and `docker ps` are shown beside them.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { runOk } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";
import { installFaaso } from "../../tests/installed.ts";

interface HyperfineResult {
  command: string;
  mean: number;
  stddev: number;
  median: number;
  min: number;
  max: number;
}

/** Targets: at most this many times an empty Deno program. */
const TARGETS = { help: 3, status: 5 };

/** Runs scenario 6 and adds its rows. */
export async function cliStartup(ctx: BenchContext): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-hyperfine-" });
  try {
    const faaso = await installFaaso(`${dir}/install`);
    // Deno's own start-up with an empty program: the floor every Deno CLI stands on.
    const empty = `${Deno.execPath()} run data:application/javascript,0`;
    const commands = [empty, `${faaso} --help`, `${faaso} status`, "docker --help", "docker ps"];
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
    const [bare, help, status, dockerHelp, dockerPs] = results.map((r) => r.mean * 1000) as number[] as [
      number,
      number,
      number,
      number,
      number,
    ];
    const rows: [string, number, number, string][] = [
      ["faaso --help", help, TARGETS.help, `docker --help ${dockerHelp.toFixed(1)} ms`],
      ["faaso status", status, TARGETS.status, `docker ps ${dockerPs.toFixed(1)} ms`],
    ];
    for (const [metric, value, times, docker] of rows) {
      ctx.rows.push({
        scenario: "6 CLI start-up",
        metric: `${metric} (installed), mean of ${runs}`,
        unit: "ms",
        faaso: value,
        peers: { "empty Deno program": bare },
        ratio: ratioText(value, bare, "an empty Deno program"),
        target: `<= ${times}x an empty Deno program`,
        pass: value <= times * bare,
        note: docker,
      });
    }
    ctx.raw.cli = results;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
