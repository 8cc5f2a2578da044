/**
 * Scenario 14: what sleeping costs. Twenty funkos (the bench funko's code as
 * bench-zz-01..20, min 0), each with one instance: the proxy's RSS and the
 * memory the engine counts for their instances, running, then all paused
 * (memory kept, no CPU), then all stopped (memory freed). Figures, no target.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { instancesOf } from "../lib/docker.ts";
import { faaso, rssMb, run, sleep, waitFor } from "../lib/proc.ts";
import { buildScaled, containerMemoryMb, removeScaled, sleepFunko, waitAnswers, ZZ } from "../lib/scaled.ts";

const SETTINGS = "scale: {min: 0, max: 1}\nidle: {pause_after: 1h, stop_after: never}\ndrain: 2s\n";

/** The proxy's RSS and the funkos' instances' memory now, in MB. */
async function measure(ctx: BenchContext): Promise<{ proxy: number; instances: number }> {
  let instances = 0;
  for (const funko of ZZ) {
    for (const instance of await instancesOf(funko)) instances += await containerMemoryMb(instance.id);
  }
  return { proxy: await rssMb(ctx.proxy.pid), instances };
}

/** Waits until every instance of the funkos is in `state`. */
function waitAll(state: string): Promise<true> {
  return waitFor(
    `all ${ZZ.length} funkos ${state}`,
    async () => {
      const listed = await run("docker", [
        "ps",
        "-a",
        "--filter",
        "label=faaso.role=instance",
        "--format",
        "{{.Names}} {{.State}}",
      ]);
      const ours = listed.stdout.split("\n").filter((line) => line.startsWith("faaso-bench-zz-"));
      return ours.length === ZZ.length && ours.every((line) => line.endsWith(` ${state}`)) ? true : undefined;
    },
    120_000,
    250,
  );
}

/** Runs scenario 14 and adds its rows. */
export async function pausedMemory(ctx: BenchContext): Promise<void> {
  try {
    for (const funko of ZZ) await buildScaled(funko, SETTINGS);
    for (const funko of ZZ) await faaso(["up", funko]);
    for (const funko of ZZ) await waitAnswers(`${ctx.proxy.url}/funko/${funko}/`);
    await sleep(3000);
    const running = await measure(ctx);
    for (const funko of ZZ) await sleepFunko(ctx.proxy, funko);
    await waitAll("paused");
    await sleep(3000);
    const paused = await measure(ctx);
    for (const funko of ZZ) await sleepFunko(ctx.proxy, funko, true);
    await waitAll("exited");
    await sleep(3000);
    const stopped = await measure(ctx);
    const row = (metric: string, figures: { proxy: number; instances: number }, key: "proxy" | "instances") => ({
      scenario: "14 sleeping costs",
      metric,
      unit: "MB" as const,
      faaso: figures[key],
      peers: { running: running[key] },
      ratio: running[key] ? `${(figures[key] / running[key]).toFixed(2)}x running` : "",
      target: "",
    });
    ctx.rows.push(
      row(`${ZZ.length} funkos paused: proxy RSS`, paused, "proxy"),
      row(`${ZZ.length} funkos paused: their instances' memory`, paused, "instances"),
      row(`${ZZ.length} funkos stopped: their instances' memory`, stopped, "instances"),
    );
    ctx.raw.sleepingCosts = { running, paused, stopped };
  } finally {
    for (const funko of ZZ) await removeScaled(funko);
  }
}
