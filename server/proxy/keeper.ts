/**
 * Keeps every funko in its desired state while the server runs, and never
 * gives up while it does:
 *
 * - an instance that stopped and that Docker's restart policy did not bring
 *   back within a grace period (someone ran docker stop, the policy gave up)
 *   is brought back: started, or replaced when the engine will not start it
 *   (core/reconcile.ts);
 * - after every full listing (the server's start, and each time the event
 *   stream came back: the engine restarted or crashed, and the events of
 *   that time are lost) every stopped instance is brought back at once;
 * - an instance that runs but hangs (its healthcheck says unhealthy: the
 *   proxy already routes around it) is replaced, the new one first;
 * - whatever fails (the engine is down, a replacement cannot be made) is
 *   tried again with backoff, 1 s doubling to 60 s.
 *
 * What should run is {@linkcode KeeperOptions.keepsStopped}'s to say: a
 * funko put to sleep keeps its stopped instances stopped.
 *
 * @module
 */
import type { Instance, InstanceEvent } from "../../core/instances.ts";
import { bringBack, needsStart, reconcile, replaceUnhealthy, shouldRun } from "../../core/reconcile.ts";
import type { Progress } from "../../core/progress.ts";
import type { LifecycleDeps } from "../../core/scale.ts";

/** How long Docker gets to restart a stopped instance itself. */
const GRACE_MS = 10_000;
/** How long an instance stays unhealthy before it is replaced (a deploy or `up` removes its own failures sooner). */
const HANG_GRACE_MS = 5_000;
/** The first and the longest wait before something that failed is tried again. */
const FIRST_RETRY_MS = 1_000;
const LAST_RETRY_MS = 60_000;

/** Options for {@linkcode InstanceKeeper}. */
export interface KeeperOptions {
  /** Where to say what the keeper did. */
  progress: Progress;
  /** Whether the funko's stopped instances are to stay stopped: it sleeps. */
  keepsStopped?: (funko: string) => boolean;
  /** How long Docker gets to restart a stopped instance itself (default 10 s). */
  graceMs?: number;
  /** How long an instance may stay unhealthy before it is replaced (default 5 s). */
  hangGraceMs?: number;
}

/** Brings back stopped instances and replaces hung ones. Feed it instance events and full listings. */
export class InstanceKeeper {
  #deps: LifecycleDeps;
  #options: KeeperOptions;
  #abort = new AbortController();
  /** Pending checks, by `stop:ID` or `hang:ID`. */
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Instances being brought back or replaced now. */
  #busy = new Set<string>();
  /** Failed replacements of hung instances so far, by ID: their backoff. */
  #hangFailures = new Map<string, number>();
  /** The reconciliation running now, whether another was asked for meanwhile, the next one's timer, the backoff. */
  #sweep: {
    running?: Promise<void>;
    again: boolean;
    timer?: ReturnType<typeof setTimeout>;
    due: number;
    backoff: number;
  } = { again: false, due: 0, backoff: FIRST_RETRY_MS };

  constructor(deps: LifecycleDeps, options: KeeperOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  /** Reacts to an instance event. */
  observe(event: InstanceEvent): void {
    if (this.#abort.signal.aborted) return;
    const id = event.id;
    switch (event.action) {
      case "stop":
        // A pause is no stop: the instance is still there, frozen on purpose.
        if (event.detail === "pause") break;
        if (!this.#timers.has(`stop:${id}`)) {
          this.#later(`stop:${id}`, this.#options.graceMs ?? GRACE_MS, () => this.#checkStopped(id));
        }
        this.#cancel(`hang:${id}`);
        break;
      case "start":
        this.#cancel(`stop:${id}`);
        break;
      case "health":
        if (event.health === "unhealthy") this.#watchHang(id);
        else this.#cancel(`hang:${id}`);
        break;
      case "destroy":
        this.#cancel(`stop:${id}`);
        this.#cancel(`hang:${id}`);
        this.#hangFailures.delete(id);
        break;
    }
  }

  /**
   * The instances were listed anew (the server started, or the event stream
   * came back after the engine went away): bring every stopped one back now,
   * and look again at those that are unhealthy.
   */
  resync(instances: Instance[] = []): void {
    for (const instance of instances) {
      if (instance.state === "running" && instance.health === "unhealthy") this.#watchHang(instance.id);
    }
    this.#requestSweep(0);
  }

  /**
   * Brings every stopped instance back now and waits for it; what fails is
   * tried again later, with backoff.
   */
  async sweep(): Promise<void> {
    while (this.#sweep.running) await this.#sweep.running;
    this.#startSweep();
    await this.#sweep.running;
  }

  /** Stops checking and cancels what is under way. */
  stop(): void {
    this.#abort.abort();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    clearTimeout(this.#sweep.timer);
  }

  /** Asks for a sweep in `delayMs` (or sooner, if one is due sooner already). */
  #requestSweep(delayMs: number): void {
    if (this.#abort.signal.aborted) return;
    if (this.#sweep.running) {
      this.#sweep.again = true;
      return;
    }
    const due = Date.now() + delayMs;
    if (this.#sweep.timer !== undefined && this.#sweep.due <= due) return;
    clearTimeout(this.#sweep.timer);
    this.#sweep.due = due;
    this.#sweep.timer = setTimeout(() => this.#startSweep(), delayMs);
  }

  #startSweep(): void {
    clearTimeout(this.#sweep.timer);
    this.#sweep.timer = undefined;
    this.#sweep.running = this.#runSweep().then((retryInMs) => {
      this.#sweep.running = undefined;
      if (this.#sweep.again) {
        this.#sweep.again = false;
        this.#requestSweep(0);
      } else if (retryInMs !== undefined) this.#requestSweep(retryInMs);
    });
  }

  /** One reconciliation; returns when to try again, if something failed. */
  async #runSweep(): Promise<number | undefined> {
    const signal = this.#abort.signal;
    let failed: string;
    try {
      const result = await reconcile(this.#deps, this.#options.progress, {
        keepsStopped: this.#options.keepsStopped,
        signal,
      });
      if (result.failed.length === 0) {
        this.#sweep.backoff = FIRST_RETRY_MS;
        return undefined;
      }
      failed = result.failed.map((failure) => failure.instance).join(", ");
    } catch (error) {
      if (signal.aborted) return undefined;
      failed = `stopped instances (the engine: ${(error as Error).message})`;
    }
    if (signal.aborted) return undefined;
    const wait = this.#sweep.backoff;
    this.#sweep.backoff = Math.min(wait * 2, LAST_RETRY_MS);
    this.#options.progress({ kind: "warning", text: `Will try to bring back ${failed} in ${wait / 1000} s` });
    return wait;
  }

  async #checkStopped(id: string): Promise<void> {
    if (this.#busy.has(id)) return;
    this.#busy.add(id);
    try {
      const instance = await this.#deps.instances.get(id, this.#abort.signal);
      if (this.#abort.signal.aborted || !instance || !needsStart(instance)) return;
      if (!shouldRun(instance, this.#options)) return;
      await bringBack(this.#deps, instance, this.#options.progress, this.#abort.signal);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      this.#options.progress({
        kind: "warning",
        text: `Cannot bring instance ${id.slice(0, 12)} back: ${(error as Error).message}`,
      });
      this.#requestSweep(this.#sweep.backoff);
    } finally {
      this.#busy.delete(id);
    }
  }

  #watchHang(id: string): void {
    if (this.#timers.has(`hang:${id}`) || this.#abort.signal.aborted) return;
    const failures = this.#hangFailures.get(id) ?? 0;
    const wait = failures === 0
      ? this.#options.hangGraceMs ?? HANG_GRACE_MS
      : Math.min(FIRST_RETRY_MS * 2 ** failures, LAST_RETRY_MS);
    this.#later(`hang:${id}`, wait, () => this.#checkHung(id));
  }

  async #checkHung(id: string): Promise<void> {
    if (this.#busy.has(id)) return;
    this.#busy.add(id);
    try {
      const instance = await this.#deps.instances.get(id, this.#abort.signal);
      if (this.#abort.signal.aborted || !instance) return;
      // Paused (asleep), stopped, retiring or healthy again: not hung, or someone else's business.
      if (instance.state !== "running" || instance.health !== "unhealthy" || !shouldRun(instance, this.#options)) {
        return;
      }
      await replaceUnhealthy(this.#deps, instance, this.#options.progress, { signal: this.#abort.signal });
      this.#hangFailures.delete(id);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      this.#hangFailures.set(id, (this.#hangFailures.get(id) ?? 0) + 1);
      this.#options.progress({
        kind: "warning",
        text: `Cannot replace the unhealthy instance ${id.slice(0, 12)}: ${(error as Error).message}`,
      });
      this.#watchHang(id);
    } finally {
      this.#busy.delete(id);
    }
  }

  #later(key: string, ms: number, check: () => Promise<void>): void {
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        check();
      }, ms),
    );
  }

  #cancel(key: string): void {
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }
}
