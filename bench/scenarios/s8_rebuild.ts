/**
 * Scenario 8: rebuilding an unchanged funko (a cache hit): `faaso build
 * bench/funko --name bench-hello -q` after the setup's build, against a plain
 * `docker build` of the same funko exported with `faaso export`.
 *
 * @module
 */
import { type BenchContext, FUNKO } from "../lib/context.ts";
import { faaso, FUNKO_DIR, median, run, runOk } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";

/** Runs scenario 8 and adds its rows. */
export async function rebuild(ctx: BenchContext): Promise<void> {
  const reps = ctx.quick ? 2 : 3;
  const faasoMs: number[] = [];
  for (let i = 0; i < reps; i++) faasoMs.push((await faaso(["build", FUNKO_DIR, "--name", FUNKO, "-q"])).ms);
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-export-" });
  const tag = "bench-export:cache";
  const dockerMs: number[] = [];
  try {
    await faaso(["export", FUNKO_DIR, `${dir}/out`]);
    await runOk("docker", ["build", "-q", "-t", tag, `${dir}/out`]);
    for (let i = 0; i < reps; i++) dockerMs.push((await runOk("docker", ["build", "-q", "-t", tag, `${dir}/out`])).ms);
  } finally {
    await run("docker", ["rmi", tag]);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  const value = median(faasoMs);
  ctx.rows.push({
    scenario: "8 rebuild, cache hit",
    metric: `faaso build, median of ${reps}`,
    unit: "ms",
    faaso: value,
    peers: { "docker build": median(dockerMs) },
    ratio: ratioText(value, median(dockerMs), "docker build"),
    target: "<= 2000 ms",
    pass: value <= 2000,
  });
  ctx.raw.rebuild = { faasoMs, dockerMs };
}
