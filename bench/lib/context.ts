/**
 * What the scenarios share: the running proxy, the bench funko, options, the
 * rows collected so far and the raw measurements for the JSON results.
 *
 * @module
 */
import { type BenchInstance, instancesOf } from "./docker.ts";
import { faaso, waitFor } from "./proc.ts";
import type { Row } from "./report.ts";
import { type FaasoProxy, routesOf } from "./serve.ts";

/** The bench funko's name (every name the bench creates starts with `bench-`). */
export const FUNKO = "bench-hello";

/** The state of one benchmark run. */
export interface BenchContext {
  /** Shorter wrk runs and fewer repetitions. */
  quick: boolean;
  /** wrk's duration per run in seconds. */
  wrkSeconds: number;
  /** The `faaso serve` under test. */
  proxy: FaasoProxy;
  /**
   * Resident memory in MB by proxy (faaso, nginx, caddy): `idle` right after
   * start, `loaded` the highest sampled during scenario 1 at 256 connections.
   */
  memory: { idle: Record<string, number>; loaded: Record<string, number> };
  /** The results table so far. */
  rows: Row[];
  /** Raw measurements by scenario, for the JSON results. */
  raw: Record<string, unknown>;
}

/** The bench funko's URL through the proxy, with `path` (starting with "/"). */
export function proxyUrl(ctx: BenchContext, path = "/"): string {
  return `${ctx.proxy.url}/funko/${FUNKO}${path}`;
}

/** An instance's own URL on faaso-net, with `path`. */
export function directUrl(instance: BenchInstance, path = "/"): string {
  return `http://${instance.ip}:3000${path}`;
}

/**
 * Scales the bench funko to `count` and waits until that many instances run,
 * Docker calls them healthy, and the proxy routes to all of them.
 */
export async function scaleTo(ctx: BenchContext, count: number, timeoutMs = 90_000): Promise<BenchInstance[]> {
  await faaso(["scale", FUNKO, String(count)]);
  return await waitScaled(ctx, count, timeoutMs);
}

/** Waits until the bench funko has exactly `count` healthy instances, all ready in the proxy. */
export function waitScaled(ctx: BenchContext, count: number, timeoutMs = 90_000): Promise<BenchInstance[]> {
  return waitFor(
    `${count} healthy, routed instances of ${FUNKO}`,
    async () => {
      const instances = await instancesOf(FUNKO);
      if (instances.length !== count) return undefined;
      if (!instances.every((i) => i.running && i.health === "healthy" && i.ip)) return undefined;
      const routes = await routesOf(ctx.proxy, FUNKO);
      const ready = new Set(routes.filter((r) => r.ready).map((r) => r.id));
      return instances.every((i) => ready.has(i.id)) ? instances : undefined;
    },
    timeoutMs,
    100,
  );
}
