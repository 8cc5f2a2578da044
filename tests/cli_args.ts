/**
 * How FaaSO is run: the repository's root, and the environment and the
 * arguments `deno task faaso` gives deno, read from deno.json. The tests and
 * the benchmark start FaaSO with them, and `deno task install-faaso` writes
 * them into the installed command. No side effects (the bench imports it
 * without the tests' time limits).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** The repository's root folder. */
export const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The faaso task's words: `NAME=value` assignments first, then `deno` and its arguments. */
const TASK_WORDS: string[] = (() => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)) as { tasks: Record<string, string> };
  return config.tasks.faaso!.split(/\s+/);
})();
const ASSIGNMENT = /^([A-Z_][A-Z0-9_]*)=(.*)$/;
const FIRST_ARGUMENT = TASK_WORDS.findIndex((word) => !ASSIGNMENT.test(word)) + 1;

/**
 * The variables `deno task faaso` sets for deno, such as
 * `DENO_TOKIO_EVENT_INTERVAL` (read by Deno as it starts: see README,
 * Installing faaso).
 */
export const FAASO_ENV: Record<string, string> = Object.fromEntries(
  TASK_WORDS.slice(0, FIRST_ARGUMENT - 1).map((word) => ASSIGNMENT.exec(word)!.slice(1, 3)),
);

/**
 * The arguments `deno task faaso` passes to deno (its permissions and flags),
 * so that tests and benchmarks run FaaSO exactly as users do.
 */
export const FAASO_ARGS: string[] = TASK_WORDS.slice(FIRST_ARGUMENT)
  .map((word) => word === "main.ts" ? `${ROOT}main.ts` : word);
