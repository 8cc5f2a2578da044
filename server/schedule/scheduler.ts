/**
 * Runs the `schedule:` entries of every funko's latest image: at each planned
 * time, one request through the proxy's handler (as any request: it waits for
 * a starting instance, wakes a sleeping one). A run that would start while the
 * previous run of the same entry still goes on is skipped and counted. Runs
 * missed while the proxy was down are not made again, except one catch-up run
 * at start for entries with `catch_up: true`.
 *
 * The entries come from the images' settings labels, read again every few
 * seconds: a build or deploy changes them within that time.
 *
 * @module
 */
import type { CallStore } from "../../core/call_store.ts";
import { nextRun, previousRun, type ScheduleEntry, type ScheduleRunState } from "../../core/schedule.ts";
import { type FunkoHandler, invoke } from "../async/delivery.ts";
import type { ImageSettings } from "../async/funko_settings.ts";

/** How often the entries are read again from the images. */
const REFRESH_MS = 5000;
/** Timers longer than this are set again when they fire (setTimeout cannot wait more than ~24 days). */
const MAX_TIMER_MS = 3_600_000;

/** Options for {@linkcode Scheduler}. */
export interface SchedulerOptions {
  store: CallStore;
  settings: ImageSettings;
  /** The proxy's `/funko/` handler. */
  handler: FunkoHandler;
  /** Where to say what happened. */
  log: (message: string) => void;
}

interface Plan {
  funko: string;
  entry: ScheduleEntry;
  /** The entry's definition, to notice changes. */
  definition: string;
  timer?: ReturnType<typeof setTimeout>;
}

/** Runs scheduled requests while the proxy runs. */
export class Scheduler {
  #options: SchedulerOptions;
  #plans = new Map<string, Plan>();
  #running = new Set<string>();
  /** Entries whose current run's skips were logged (once per run, not once a second). */
  #skipLogged = new Set<string>();
  /** The last failure logged per entry. */
  #lastFailure = new Map<string, string>();
  #inFlight = new Set<Promise<void>>();
  #refresher: ReturnType<typeof setInterval> | undefined;
  #stopping = new AbortController();

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** Reads the entries, makes the catch-up runs that are due, and plans the next runs. */
  async start(): Promise<void> {
    const states = await this.#options.store.scheduleStates();
    await this.#refresh(states);
    this.#refresher = setInterval(() => {
      this.#refresh().catch((error) => this.#options.log(`Schedules: cannot read the images: ${String(error)}`));
    }, REFRESH_MS);
  }

  /** Stops planning; runs in flight are cut. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#refresher);
    for (const plan of this.#plans.values()) clearTimeout(plan.timer);
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Plans new and changed entries and forgets removed ones; `atStart` carries the stored states for catch-up. */
  async #refresh(atStart?: ScheduleRunState[]): Promise<void> {
    const seen = new Set<string>();
    for (const [funko, settings] of await this.#options.settings.all()) {
      for (const entry of settings.schedule) {
        const key = `${funko}\u0000${entry.name}`;
        seen.add(key);
        const definition = JSON.stringify(entry);
        const plan = this.#plans.get(key);
        if (plan?.definition === definition) continue;
        if (plan) clearTimeout(plan.timer);
        const fresh: Plan = { funko, entry, definition };
        this.#plans.set(key, fresh);
        const state = atStart?.find((s) => s.funko === funko && s.entry === entry.name);
        if (entry.catch_up && state?.lastPlanned) this.#catchUp(key, fresh, state.lastPlanned);
        this.#plan(key, fresh, new Date());
      }
    }
    for (const [key, plan] of this.#plans) {
      if (seen.has(key)) continue;
      clearTimeout(plan.timer);
      this.#plans.delete(key);
    }
  }

  /** One run now when a planned run passed since the last one started (the proxy was down). */
  #catchUp(key: string, plan: Plan, lastPlanned: number): void {
    const missed = previousRun(plan.entry, new Date());
    if (!missed || missed.getTime() <= lastPlanned) return;
    this.#options.log(
      `Schedule ${plan.funko}/${plan.entry.name}: catching up the run planned for ${missed.toISOString()}`,
    );
    this.#fire(key, plan, missed.getTime());
  }

  #plan(key: string, plan: Plan, from: Date): void {
    if (this.#stopping.signal.aborted) return;
    const next = nextRun(plan.entry, from);
    if (!next) return;
    const wait = next.getTime() - Date.now();
    plan.timer = setTimeout(() => {
      if (this.#plans.get(key) !== plan) return;
      if (wait > MAX_TIMER_MS) return this.#plan(key, plan, from);
      this.#fire(key, plan, next.getTime());
      // From the planned time, not from now: a timer that fires a little early must not plan the same run again.
      this.#plan(key, plan, new Date(Math.max(next.getTime(), Date.now())));
    }, Math.min(Math.max(0, wait), MAX_TIMER_MS));
  }

  #fire(key: string, plan: Plan, planned: number): void {
    const { store, log } = this.#options;
    const { funko, entry } = plan;
    if (this.#running.has(key)) {
      if (!this.#skipLogged.has(key)) {
        this.#skipLogged.add(key);
        const when = new Date(planned).toISOString();
        log(`Schedule ${funko}/${entry.name}: skipped the run of ${when} (and any more while the last one runs)`);
      }
      this.#track(store.scheduleSkipped(funko, entry.name));
      return;
    }
    this.#running.add(key);
    this.#track(
      this.#run(funko, entry, planned).finally(() => {
        this.#running.delete(key);
        this.#skipLogged.delete(key);
      }),
    );
  }

  async #run(funko: string, entry: ScheduleEntry, planned: number): Promise<void> {
    const { store, handler } = this.#options;
    await store.scheduleStarted(funko, entry.name, planned, Date.now());
    let result: string;
    let ok: boolean;
    try {
      const headers: [string, string][] = Object.entries(entry.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]);
      headers.push(["x-faaso-schedule", entry.name], ["x-faaso-planned", new Date(planned).toISOString()]);
      const body = entry.body === undefined ? null : new TextEncoder().encode(entry.body);
      const answer = await invoke(
        handler,
        {
          funko,
          method: entry.method,
          target: entry.path,
          headers,
          body,
          remote: "127.0.0.1",
        },
        0,
        this.#stopping.signal,
      );
      result = String(answer.status);
      ok = answer.status < 400;
    } catch (error) {
      result = `error: ${(error as Error).message}`;
      ok = false;
    }
    // A failure is logged when it starts or changes, not at every run of an entry that keeps failing.
    const key = `${funko}\u0000${entry.name}`;
    if (!ok && this.#lastFailure.get(key) !== result) this.#options.log(`Schedule ${funko}/${entry.name}: ${result}`);
    if (ok) this.#lastFailure.delete(key);
    else this.#lastFailure.set(key, result);
    await store.scheduleFinished(funko, entry.name, Date.now(), result, ok);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.#options.log(`Schedules: ${String(error)}`));
    this.#inFlight.add(tracked);
    tracked.finally(() => this.#inFlight.delete(tracked));
  }
}
