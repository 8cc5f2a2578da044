/**
 * How the tests and the benchmark run FaaSO: the repository's root and the
 * arguments `deno task faaso` passes to deno. No side effects (the bench
 * imports it without the tests' time limits).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/**
 * The arguments `deno task faaso` passes to deno (its permissions and flags),
 * read from deno.json so that tests and benchmarks run FaaSO exactly as users do.
 */
export const FAASO_ARGS: string[] = (() => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as { tasks: Record<string, string> };
  const words = config.tasks.faaso!.split(/\s+/).slice(1);
  return words.map((word) => word === "main.ts" ? `${ROOT}main.ts` : word);
})();
