/**
 * The `schedule:` entries of `funko.yml`: requests the proxy makes to the
 * funko on a cron schedule. Parsed by croner (5 fields, or 6 with seconds
 * first; `@daily` and friends), in UTC unless the entry names a time zone.
 *
 * @example
 * ```yaml
 * schedule:
 *   - name: nightly-report
 *     cron: "0 3 * * *"
 *     timezone: Europe/Berlin
 *     method: POST
 *     path: /report
 *     body: '{"kind": "daily"}'
 *     headers: { content-type: application/json }
 *     catch_up: true
 * ```
 *
 * @module
 */
import { Cron } from "croner";
import { z } from "zod";

/** One scheduled request, before validation of the cron expression and time zone. */
const EntryShape = z.object({
  /** Names the entry in status, logs and errors; default `METHOD PATH`. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,62}$/, "use letters, digits, ' ', '.', '_', '/', '-'")
    .optional(),
  /** When: a cron expression (`*\/5 * * * *`; six fields start with seconds). */
  cron: z.string().min(1, "give a cron expression such as '0 3 * * *'"),
  /** The IANA time zone the expression is read in (`Europe/Berlin`); default UTC. */
  timezone: z.string().min(1).optional(),
  /** The request's method. */
  method: z.string().regex(/^[A-Z]+$/, "use an HTTP method in capitals, such as GET or POST").default("GET"),
  /** The request's path (and query) under the funko, starting with `/`. */
  path: z.string().regex(/^\/[^\s]*$/, "use a path starting with /, without spaces").default("/"),
  /** The request's body. */
  body: z.string().optional(),
  /** The request's headers. */
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a header name"), z.string()).optional(),
  /** Make one run at start when a run was due while the proxy was down. */
  catch_up: z.boolean().default(false),
}).strict();

/** A validated schedule entry. */
export type ScheduleEntry = z.infer<typeof EntryShape> & { name: string };

/** The list of entries: names unique, cron expressions and time zones checked. */
export const Schedule = z.array(EntryShape).superRefine((entries, ctx) => {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const name = entryName(entry);
    const which = `(entry ${JSON.stringify(name)})`;
    const problem = cronProblem(entry.cron, entry.timezone);
    if (problem) {
      ctx.addIssue({ code: "custom", path: [index, problem.field], message: `${problem.message} ${which}` });
    }
    if (seen.has(name)) {
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        message: `two entries are named ${JSON.stringify(name)}: give each a name of its own`,
      });
    }
    seen.add(name);
  });
}).transform((entries) => entries.map((entry) => ({ ...entry, name: entryName(entry) })));

/** The name of an entry: its own, else `METHOD PATH`. */
function entryName(entry: { name?: string; method: string; path: string }): string {
  return entry.name ?? `${entry.method} ${entry.path}`;
}

/** What is wrong with a cron expression or time zone, if anything. */
function cronProblem(cron: string, timezone: string | undefined): { field: string; message: string } | undefined {
  let parsed: Cron;
  try {
    parsed = new Cron(cron, { paused: true });
  } catch (error) {
    return { field: "cron", message: `${JSON.stringify(cron)} is not a cron expression: ${reason(error)}` };
  }
  try {
    new Cron(cron, { paused: true, timezone: timezone ?? "UTC" }).nextRun();
  } catch {
    return { field: "timezone", message: `${JSON.stringify(timezone)} is not an IANA time zone such as Europe/Berlin` };
  }
  if (parsed.nextRun() === null) return { field: "cron", message: `${JSON.stringify(cron)} never fires` };
  return undefined;
}

function reason(error: unknown): string {
  return (error as Error).message.replace(/^CronPattern: /, "");
}

function cronOf(entry: ScheduleEntry): Cron {
  return new Cron(entry.cron, { paused: true, timezone: entry.timezone ?? "UTC" });
}

/** The entry's first planned run after `from` (null when it never fires again). */
export function nextRun(entry: ScheduleEntry, from: Date = new Date()): Date | null {
  return cronOf(entry).nextRun(from);
}

/** The entry's last planned run before `before` (null when there was none). */
export function previousRun(entry: ScheduleEntry, before: Date = new Date()): Date | null {
  return cronOf(entry).previousRuns(1, before)[0] ?? null;
}

/** What the proxy last did for an entry (kept in the call store). */
export interface ScheduleRunState {
  /** The funko. */
  funko: string;
  /** The entry's name. */
  entry: string;
  /** The planned time of the last run started (ms since the epoch). */
  lastPlanned: number | null;
  /** When it actually started. */
  lastStarted: number | null;
  /** When it ended, null while it runs. */
  lastFinished: number | null;
  /** Its outcome: the funko's status, or an error in words. */
  lastResult: string | null;
  /** Whether the last result counts as success (a 2xx or 3xx answer). */
  lastOk: boolean | null;
  /** Runs made since the state was created. */
  runs: number;
  /** Runs skipped because the previous one still ran. */
  skipped: number;
}

/** An entry with its next run and what the proxy last did, for status and the UI. */
export interface ScheduleStatus {
  /** The entry's name. */
  name: string;
  /** Its cron expression. */
  cron: string;
  /** Its time zone. */
  timezone: string;
  /** `METHOD PATH`. */
  request: string;
  /** Whether a missed run is made at start. */
  catchUp: boolean;
  /** Next planned run (ISO 8601), null when none. */
  next: string | null;
  /** Last run's planned time (ISO 8601), null when none yet. */
  last: string | null;
  /** Last run's result, null when none yet (or still running). */
  lastResult: string | null;
  /** Whether the last result was a success. */
  lastOk: boolean | null;
  /** Whether a run is going on now. */
  running: boolean;
  /** Runs made, runs skipped (overlap). */
  runs: number;
  skipped: number;
}

/** Joins entries with their run state into what status shows. */
export function scheduleStatus(
  entries: ScheduleEntry[],
  states: ScheduleRunState[],
  now: Date = new Date(),
): ScheduleStatus[] {
  return entries.map((entry) => {
    const state = states.find((s) => s.entry === entry.name);
    const next = nextRun(entry, now);
    return {
      name: entry.name,
      cron: entry.cron,
      timezone: entry.timezone ?? "UTC",
      request: `${entry.method} ${entry.path}`,
      catchUp: entry.catch_up,
      next: next ? next.toISOString() : null,
      last: state?.lastPlanned ? new Date(state.lastPlanned).toISOString() : null,
      lastResult: state?.lastResult ?? null,
      lastOk: state?.lastOk ?? null,
      running: state ? state.lastStarted !== null && state.lastFinished === null : false,
      runs: state?.runs ?? 0,
      skipped: state?.skipped ?? 0,
    };
  });
}
