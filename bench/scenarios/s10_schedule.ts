/**
 * Scenario 10: schedule jitter. A copy of the bench funko, `bench-sched`, with
 * an every-second schedule entry; for 20 runs, the time from each run's
 * planned second to its arrival at the funko (the scheduler's timer plus the
 * proxy's path). Removed afterwards.
 *
 * @module
 */
import { type BenchContext } from "../lib/context.ts";
import { faaso, FAASO_ARGS, FUNKO_DIR, median, percentile, run, waitFor } from "../lib/proc.ts";

const NAME = "bench-sched";

/** Runs scenario 10 and adds its rows. */
export async function scheduleJitter(ctx: BenchContext): Promise<void> {
  const runs = ctx.quick ? 10 : 20;
  const folder = await Deno.makeTempDir({ prefix: "faaso-bench-sched-" });
  try {
    for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(`${FUNKO_DIR}/${file}`, `${folder}/${file}`);
    await Deno.writeTextFile(
      `${folder}/funko.yml`,
      `name: ${NAME}\nruntime: deno\nhealthcheck:\n  interval: 1s\n` +
        `schedule:\n  - name: every-second\n    cron: "* * * * * *"\n    method: POST\n    path: /stamp/tick\n`,
    );
    await faaso(["build", folder, "-q"]);
    await faaso(["up", NAME]);
    const url = `${ctx.proxy.url}/funko/${NAME}/stamps/tick`;
    // The first runs wait for the instance to start; jitter counts from the first run that reached it.
    const stamps = await waitFor(`${runs} scheduled runs`, async () => {
      const list = await (await fetch(url)).json() as { at: number; planned: string }[];
      return list.length >= runs + 2 ? list : undefined;
    }, 90_000);
    const jitter = stamps.slice(2).map((stamp) => stamp.at - Date.parse(stamp.planned));
    ctx.rows.push(
      {
        scenario: "10 schedule jitter",
        metric: `planned -> at the funko p50, ${jitter.length} runs`,
        unit: "ms",
        faaso: median(jitter),
        peers: {},
        ratio: "",
        target: "",
      },
      {
        scenario: "10 schedule jitter",
        metric: "planned -> at the funko p99",
        unit: "ms",
        faaso: percentile(jitter, 99),
        peers: {},
        ratio: "",
        target: "",
      },
    );
    ctx.raw.schedule = { jitter };
  } finally {
    await run(Deno.execPath(), [...FAASO_ARGS, "rm", NAME, "--yes", "--local"]);
    await Deno.remove(folder, { recursive: true });
  }
}
