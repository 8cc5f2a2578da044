/**
 * Scenario 13: autoscaling. The bench funko's code as bench-auto
 * (`scale: {min: 1, max: 16}`, `concurrency: 8`, the default 60 s window), at
 * one instance; then wrk jumps from nothing to 64 connections: the time until
 * 8 instances serve (64 connections at 8 each) and until the autoscaler's
 * target serves, and wrk's failed requests. When the load stops (a trickle of
 * one connection goes on, so that a lost request would show): the time until
 * it is back to its min of 1, and the trickle's failed requests. The same
 * step again with 8 warm spares (`scale.warm: 8`): instances kept paused for
 * the autoscaler to take (a rename and an unpause instead of a start), and
 * the memory they hold while they wait.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { instancesOf } from "../lib/docker.ts";
import { faaso, sleep, waitFor } from "../lib/proc.ts";
import { AUTO, buildScaled, containerMemoryMb, removeScaled, waitAnswers } from "../lib/scaled.ts";
import { routesOf } from "../lib/serve.ts";
import { wrk } from "../lib/wrk.ts";

const SETTINGS = "scale: {min: 1, max: 16}\nconcurrency: 8\ndrain: 2s\nhealthcheck:\n  interval: 1s\n";

/** The warm spares of the second run: 7 to reach 8 serving, one more towards the target. */
const WARM = 8;

/** Runs scenario 13 and adds its rows. */
export async function autoscaling(ctx: BenchContext): Promise<void> {
  await stepRun(ctx, 0);
  await stepRun(ctx, WARM);
}

/** One step up and back, with `warm` spares (0: every new instance is a start). */
async function stepRun(ctx: BenchContext, warm: number): Promise<void> {
  const url = `${ctx.proxy.url}/funko/${AUTO}/`;
  const label = warm ? `13 autoscaling, ${warm} warm spares` : "13 autoscaling";
  await buildScaled(AUTO, warm ? SETTINGS.replace("max: 16", `max: 16, warm: ${warm}`) : SETTINGS);
  try {
    await faaso(["up", AUTO]);
    await waitAnswers(url);
    let spareMb = NaN;
    if (warm) {
      // The proxy makes the spares one at a time: wait for all, paused.
      await waitFor(
        "the warm spares",
        async () => {
          const spares = (await instancesOf(AUTO, { spares: true })).filter((instance) => instance.spare);
          return spares.length === warm && spares.every((spare) => !spare.running) ? true : undefined;
        },
        180_000,
        500,
      );
      const spares = (await instancesOf(AUTO, { spares: true })).filter((instance) => instance.spare);
      const memory = await Promise.all(spares.map((spare) => containerMemoryMb(spare.id)));
      spareMb = memory.reduce((sum, mb) => sum + mb, 0);
    }
    const ready = async () => (await routesOf(ctx.proxy, AUTO)).filter((route) => route.ready).length;
    const target = async () => {
      const response = await fetch(`${ctx.proxy.url}/admin/api/funkos/${AUTO}`, {
        headers: { authorization: `Bearer ${ctx.proxy.token}` },
      });
      return ((await response.json()).activity?.target ?? NaN) as number;
    };

    // Long enough to see 8 instances serve on a slow machine too (the target is 5 s).
    const seconds = ctx.quick ? 20 : 40;
    const t0 = performance.now();
    const load = wrk(url, { connections: 64, seconds });
    let enoughMs = NaN;
    let targetMs = NaN;
    let peak = 0;
    // Where the time goes: when each autoscaler step was logged and when each count of ready instances was reached.
    const timeline: string[] = [];
    let seenLines = ctx.proxy.lines.length;
    let lastReady = -1;
    while (performance.now() - t0 < seconds * 1000) {
      const now = await ready();
      const at = ((performance.now() - t0) / 1000).toFixed(1);
      for (const line of ctx.proxy.lines.slice(seenLines)) {
        if (line.includes(`Autoscaling ${AUTO}`)) timeline.push(`${at} s ${line.replace(/^.*Autoscaling \S+ /, "")}`);
      }
      seenLines = ctx.proxy.lines.length;
      if (now !== lastReady) timeline.push(`${at} s ${now} ready`);
      lastReady = now;
      peak = Math.max(peak, now);
      if (now >= 8 && Number.isNaN(enoughMs)) enoughMs = performance.now() - t0;
      // Until what the autoscaler aims at serves, once it aims above the 1 it started from.
      const aim = await target();
      if (Number.isNaN(targetMs) && aim > 1 && now >= aim) targetMs = performance.now() - t0;
      await sleep(100);
    }
    const step = await load;
    const aimed = await target();

    // The load stops; a trickle of one connection goes on while it shrinks.
    const t1 = performance.now();
    let backMs = NaN;
    const trickle = wrk(url, { connections: 1, seconds: 150 });
    try {
      await waitFor(
        "back to 1 instance",
        async () => (await instancesOf(AUTO)).length === 1 ? true : undefined,
        150_000,
        250,
      );
      backMs = performance.now() - t1;
    } catch {
      // Reported as n/a below.
    }
    const after = await trickle;

    ctx.rows.push(
      {
        scenario: label,
        metric: "step 1 -> 64 connections: until 8 instances serve",
        unit: "ms",
        faaso: enoughMs,
        peers: { [`until the target (${aimed}) serves`]: targetMs },
        ratio: "",
        target: "<= 5000 ms",
        pass: enoughMs <= 5000,
        note: `peak ${peak} serving; ${Math.round(step.rps)} req/s over the ${seconds} s step` +
          (warm ? `; the ${warm} paused spares held ${spareMb.toFixed(0)} MB before it` : ""),
      },
      {
        scenario: label,
        metric: "step: failed requests (wrk errors)",
        unit: "count",
        faaso: step.errors,
        peers: {},
        ratio: "",
        target: "0",
        pass: step.errors === 0,
        note: `of ${step.requests}`,
      },
      {
        scenario: label,
        metric: "load stops: back to min (1)",
        unit: "ms",
        faaso: backMs,
        peers: {},
        ratio: "",
        target: "<= window + drain (62 s) + steps",
        pass: backMs <= 75_000,
      },
      {
        scenario: label,
        metric: "load stops: failed requests of a 1-connection trickle",
        unit: "count",
        faaso: after.errors,
        peers: {},
        ratio: "",
        target: "0",
        pass: after.errors === 0,
        note: `of ${after.requests}`,
      },
    );
    ctx.raw[warm ? "autoscaleWarm" : "autoscale"] = {
      enoughMs,
      targetMs,
      aimed,
      peak,
      step,
      backMs,
      trickle: after,
      timeline,
      spareMb,
    };
    console.error(`Scenario ${label}: the step, from the start of the load:\n  ${timeline.join("\n  ")}`);
  } finally {
    await removeScaled(AUTO);
  }
}
