/**
 * Time limits for the integration tests, so that a hang fails with a message
 * instead of eating CI's 90 minutes:
 *
 * - every test file has an overall limit ({@linkcode fileTimeLimit}; a default
 *   applies to any file that imports the test helpers). When it runs out, the
 *   cleanups registered with {@linkcode onTimeLimit} run (the test's own second
 *   engine, its sandbox), then an uncaught error names the file, its limit and
 *   what was still in flight; Deno fails that file and goes on with the next.
 * - every request a test makes has a timeout ({@linkcode timedFetch}) and every
 *   subprocess a kill timer ({@linkcode runCommand}).
 *
 * `FAASO_TEST_TIME_SCALE` (a number, default 1) stretches every limit, for a
 * slow or busy machine.
 *
 * @example
 * ```ts
 * fileTimeLimit(import.meta.url, { minutes: 10 });
 * const response = await timedFetch(`${url}/ping`); // 30 s unless told otherwise
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { relative } from "node:path";

/** How much longer than written every limit is. */
export const TIME_SCALE: number = (() => {
  const scale = Number(Deno.env.get("FAASO_TEST_TIME_SCALE") ?? "1");
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
})();

/** The timeout of a request when the test gives none. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The kill timer of a subprocess when the test gives none. */
export const COMMAND_TIMEOUT_MS = 15 * 60_000;

/** The limit of a test file that sets none. */
export const DEFAULT_FILE_MINUTES = 20;

/** What is in flight now (CLI runs, requests), for the time-limit message. */
const inFlight = new Map<number, { what: string; since: number }>();
let nextId = 0;

/** Marks `what` as in flight until the returned function is called. */
export function track(what: string): () => void {
  const id = nextId++;
  inFlight.set(id, { what, since: Date.now() });
  return () => inFlight.delete(id);
}

const cleanups = new Set<() => Promise<void>>();

/**
 * Registers a cleanup that runs if the file's time limit runs out before the
 * test could clean up itself; returns a function that unregisters it.
 */
export function onTimeLimit(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Options for {@linkcode fileTimeLimit}. */
export interface FileTimeLimitOptions {
  /** Minutes the whole file may take (times FAASO_TEST_TIME_SCALE). */
  minutes: number;
}

let timer: ReturnType<typeof setTimeout> | undefined;
const started = Date.now();

/**
 * Sets the overall time limit of the test file `fileUrl` (its `import.meta.url`),
 * counted from when the file's modules were loaded (Deno loads each test file
 * just before running it).
 */
export function fileTimeLimit(fileUrl: string, options: FileTimeLimitOptions): void {
  if (timer !== undefined) clearTimeout(timer);
  const file = fileUrl.startsWith("file:") ? relative(Deno.cwd(), fileURLToPath(fileUrl)) : fileUrl;
  const limitMs = options.minutes * 60_000 * TIME_SCALE;
  const expiry = setTimeout(() => void expire(file, limitMs), Math.max(0, started + limitMs - Date.now()));
  // The limit must not keep a finished file's event loop alive.
  Deno.unrefTimer(expiry);
  timer = expiry;
}

async function expire(file: string, limitMs: number): Promise<void> {
  const now = Date.now();
  const pending = [...inFlight.values()]
    .map(({ what, since }) => `  ${what} (for ${Math.round((now - since) / 1000)} s)`);
  const cleaned: string[] = [];
  await Promise.all([...cleanups].map(async (cleanup) => {
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, 120_000));
    await Promise.race([cleanup().catch((error) => void cleaned.push(`cleanup failed: ${error}`)), deadline]);
  }));
  throw new Error(
    `${file} ran over its time limit of ${
      limitMs >= 60_000 ? `${Math.round(limitMs / 60_000)} min` : `${Math.round(limitMs / 1000)} s`
    }` +
      (pending.length ? `; still in flight:\n${pending.join("\n")}` : " (nothing of the helpers in flight)") +
      (cleaned.length ? `\n${cleaned.join("\n")}` : ""),
  );
}

/** Starts the default limit for a file that imports the helpers; a file's own {@linkcode fileTimeLimit} replaces it. */
export function defaultFileTimeLimit(): void {
  if (timer === undefined) fileTimeLimit(Deno.mainModule, { minutes: DEFAULT_FILE_MINUTES });
}

/** Options for {@linkcode timedFetch}: fetch's, plus the timeout. */
export interface TimedFetchInit extends RequestInit {
  /** Give up after this long (the answer's body included). Default {@linkcode REQUEST_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * `fetch` with a timeout that covers the answer's body too; a timeout fails
 * with the method, the URL and the limit. A signal of the caller's still works.
 */
export async function timedFetch(input: string | URL, init: TimedFetchInit = {}): Promise<Response> {
  const { timeoutMs = REQUEST_TIMEOUT_MS, ...rest } = init;
  const limit = AbortSignal.timeout(timeoutMs * TIME_SCALE);
  const signal = rest.signal ? AbortSignal.any([rest.signal, limit]) : limit;
  const what = `${rest.method ?? "GET"} ${input}`;
  const done = track(what);
  try {
    return await fetch(input, { ...rest, signal });
  } catch (error) {
    if (limit.aborted) throw new Error(`${what}: no answer within ${timeoutMs * TIME_SCALE} ms`, { cause: error });
    throw error;
  } finally {
    done();
  }
}

/** Options for {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** Working folder. */
  cwd?: string;
  /** The whole environment of the command (nothing is inherited). */
  env?: Record<string, string>;
  /** Text fed to standard input (else stdin is closed). */
  stdin?: string | Uint8Array;
  /** SIGTERM after this long, SIGKILL 5 s later. Default {@linkcode COMMAND_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** What to call it in messages (default: the command and its arguments). */
  label?: string;
}

/** What a finished command printed and returned. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the kill timer stopped it. */
  timedOut: boolean;
}

/**
 * Runs a command to its end with a kill timer, collecting its output. A
 * command that outlives its timer is stopped and its result says so (the
 * stderr ends with a line naming the limit), so the test fails on its exit
 * code with the reason in view.
 */
export async function runCommand(cmd: string, args: string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const label = options.label ?? [cmd, ...args].join(" ");
  const timeoutMs = (options.timeoutMs ?? COMMAND_TIMEOUT_MS) * TIME_SCALE;
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    ...(options.env ? { env: options.env, clearEnv: true } : {}),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = track(label);
  let timedOut = false;
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch { /* already gone */ }
  };
  let late: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    kill("SIGTERM");
    late = setTimeout(() => kill("SIGKILL"), 5_000);
  }, timeoutMs);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const bytes = typeof options.stdin === "string" ? new TextEncoder().encode(options.stdin) : options.stdin;
      await writer.write(bytes).catch(() => {});
      await writer.close().catch(() => {});
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    const stderr = decoder.decode(output.stderr) +
      (timedOut ? `\n[test helper: ${label} was stopped after ${timeoutMs} ms]\n` : "");
    return { code: output.code, stdout: decoder.decode(output.stdout), stderr, timedOut };
  } finally {
    clearTimeout(timer);
    clearTimeout(late);
    done();
  }
}
