/**
 * Which funkos sleep on purpose, kept in the data folder (`DATA/sleep.json`)
 * so that it outlives the proxy and the engine. The engine shows what
 * instances do (paused, exited) but not why: an exited instance of a funko
 * recorded here was stopped by FaaSO to free its memory, and neither the
 * proxy's keeper nor its start-up reconcile starts it again; a wake does.
 *
 * @module
 */
import { z } from "zod";
import type { DataFolder } from "./data_folder.ts";

/** How deep a funko sleeps: paused (memory kept, wakes in ms) or stopped (memory freed, wakes in ~0.3 s). */
export type SleepDepth = "paused" | "stopped";

/** One sleeping funko. */
export interface SleepRecord {
  /** How deep. */
  depth: SleepDepth;
  /** Since when (ISO 8601). */
  since: string;
}

const SleepFile = z.record(
  z.string(),
  z.object({ depth: z.enum(["paused", "stopped"]), since: z.string() }),
);

/** The sleeping funkos of one data folder. */
export class SleepStates {
  #data: DataFolder;
  #records: Record<string, SleepRecord>;
  #writing: Promise<void> = Promise.resolve();

  private constructor(data: DataFolder, records: Record<string, SleepRecord>) {
    this.#data = data;
    this.#records = records;
  }

  /** Reads `sleep.json`; a missing or unreadable file means nothing sleeps. */
  static async open(data: DataFolder): Promise<SleepStates> {
    let records: Record<string, SleepRecord> = {};
    try {
      const parsed = SleepFile.safeParse(JSON.parse(await Deno.readTextFile(data.sleepFile)));
      if (parsed.success) records = parsed.data;
    } catch {
      // None yet, or damaged: nothing is known to sleep, and a stopped instance gets started as before.
    }
    return new SleepStates(data, records);
  }

  /** The funko's record, if it sleeps. */
  get(funko: string): SleepRecord | undefined {
    return this.#records[funko];
  }

  /** Whether the funko sleeps stopped: its exited instances are to stay so. */
  isStopped(funko: string): boolean {
    return this.#records[funko]?.depth === "stopped";
  }

  /** Every record. */
  all(): Readonly<Record<string, SleepRecord>> {
    return this.#records;
  }

  /** Records that the funko sleeps at `depth`, or (null) that it is awake; writes the file. */
  set(funko: string, depth: SleepDepth | null): Promise<void> {
    const before = this.#records[funko];
    if (depth === null) {
      if (!before) return this.#writing;
      delete this.#records[funko];
    } else {
      if (before?.depth === depth) return this.#writing;
      this.#records[funko] = { depth, since: before?.since ?? new Date().toISOString() };
    }
    const text = `${JSON.stringify(this.#records, null, 2)}\n`;
    // One write after another, each of the whole file at the time it was asked for.
    this.#writing = this.#writing.catch(() => {}).then(async () => {
      await this.#data.ensure();
      await this.#data.writePrivate(this.#data.sleepFile, text);
    });
    return this.#writing;
  }
}
