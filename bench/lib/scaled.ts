/**
 * Funkos with scaling settings for scenarios 11 to 13: the bench funko's code
 * under another name and funko.yml (names start with `bench-`, like everything
 * the bench makes), the admin API calls that put one to sleep and wake it,
 * and the memory the engine counts for an instance.
 *
 * @module
 */
import { join } from "node:path";
import { Docker } from "../../docker/mod.ts";
import { FAASO_ARGS, FUNKO_DIR, run, runOk, sleep, waitFor } from "./proc.ts";
import type { FaasoProxy } from "./serve.ts";

/** Scenario 12's funko: min 0, put to sleep and woken by the bench itself (its idle timers never fire). */
export const SLEEPY = "bench-sleepy";
/** Scenario 13's funko: autoscaled 1 to 16 at concurrency 8. */
export const AUTO = "bench-auto";
/** Scenario 14's funkos: bench-zz-01 to bench-zz-20. */
export const ZZ = Array.from({ length: 20 }, (_, i) => `bench-zz-${String(i + 1).padStart(2, "0")}`);
/** Every funko of scenarios 11 to 13, for the clean-up. */
export const SCALED_FUNKOS = [SLEEPY, AUTO, ...ZZ];

/** Builds the bench funko's code as `name` with `settings` (funko.yml lines) into faaso-NAME:latest. */
export async function buildScaled(name: string, settings: string): Promise<void> {
  const folder = await Deno.makeTempDir({ prefix: "faaso-bench-funko-" });
  try {
    for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(FUNKO_DIR, file), join(folder, file));
    await Deno.writeTextFile(join(folder, "funko.yml"), `name: ${name}\nruntime: deno\n${settings}`);
    await runOk(Deno.execPath(), [...FAASO_ARGS, "build", folder, "-q", "--local"]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** Removes a funko's instances and images (nothing when it has none). */
export async function removeScaled(name: string): Promise<void> {
  await run(Deno.execPath(), [...FAASO_ARGS, "rm", name, "--yes", "--local"]);
}

/** Calls an operation of the admin API (`funkos/NAME/sleep`, `wake`) and throws when it failed. */
export async function adminOperation(proxy: FaasoProxy, path: string, body: unknown = {}): Promise<void> {
  const response = await fetch(`${proxy.url}/admin/api${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${proxy.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const last = JSON.parse(text.trim().split("\n").at(-1) ?? "{}");
  if (!response.ok || last.kind === "error") throw new Error(`POST ${path}: ${response.status} ${text.slice(0, 300)}`);
}

/** Puts a funko to sleep through the proxy (paused, or stopped). */
export function sleepFunko(proxy: FaasoProxy, funko: string, stop = false): Promise<void> {
  return adminOperation(proxy, `/funkos/${funko}/sleep`, { stop });
}

/** Polls `url` every millisecond until it answers 200; ms since `t0`. Throws after `timeoutMs` from `t0`. */
export async function firstOk(url: string, t0: number, timeoutMs = 30_000): Promise<number> {
  while (performance.now() - t0 < timeoutMs) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200) return performance.now() - t0;
    } catch { /* not yet */ }
    await sleep(1);
  }
  throw new Error(`No 200 from ${url} within ${timeoutMs / 1000} s`);
}

/** Waits until `url` answers 200; throws after `timeoutMs`. */
export function waitAnswers(url: string, timeoutMs = 90_000): Promise<true> {
  return waitFor(`${url} answers 200`, async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return response.status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  }, timeoutMs);
}

const docker = Docker.fromEnv();

/**
 * The memory the engine counts for a container (its cgroup's usage without
 * the page cache, as `docker stats` shows it), in MB; 0 when it is stopped.
 */
export async function containerMemoryMb(id: string): Promise<number> {
  const stats = await docker.transport.json<{
    memory_stats?: { usage?: number; stats?: Record<string, number> };
  }>("GET", `/containers/${id}/stats`, { query: { stream: "false" } });
  const memory = stats.memory_stats;
  if (!memory?.usage) return 0;
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
  return (memory.usage - cache) / 1024 / 1024;
}
