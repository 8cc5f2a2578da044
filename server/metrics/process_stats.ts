/**
 * The proxy's own process: memory, CPU time, open files, and how late the
 * event loop runs. One JavaScript thread does all the proxying, so a late
 * event loop is what a slow proxy looks like from inside.
 *
 * @module
 */
import process from "node:process";
import { FixedHistogram, LOOP_DELAY_BUCKETS } from "./histogram.ts";

/** How often the event loop's delay is sampled. */
const SAMPLE_MS = 100;
/** The window of the recent maximum, in samples. */
const RECENT_SAMPLES = 100;

/**
 * Measures the event loop's delay: a timer asks to run every 100 ms and
 * notes how late it ran. Its timer never keeps the process alive.
 */
export class EventLoopMonitor {
  /** Delays in seconds since start. */
  readonly delays = new FixedHistogram(LOOP_DELAY_BUCKETS);
  readonly #recent = new Float64Array(RECENT_SAMPLES);
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts sampling. */
  start(): void {
    if (this.#timer !== undefined) return;
    let expected = performance.now() + SAMPLE_MS;
    const sample = () => {
      const now = performance.now();
      const late = Math.max(0, now - expected) / 1000;
      this.delays.observe(late);
      this.#recent[this.#next++ % RECENT_SAMPLES] = late;
      expected = now + SAMPLE_MS;
      this.#timer = setTimeout(sample, SAMPLE_MS);
      Deno.unrefTimer(this.#timer as unknown as number);
    };
    this.#timer = setTimeout(sample, SAMPLE_MS);
    Deno.unrefTimer(this.#timer as unknown as number);
  }

  /** Stops sampling. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The largest delay of the last 10 s, in seconds. */
  get recentMax(): number {
    let max = 0;
    for (const value of this.#recent) if (value > max) max = value;
    return max;
  }
}

/** The process's figures at one moment. */
export interface ProcessFigures {
  /** Resident memory in bytes. */
  rssBytes: number;
  /** V8's heap in use, in bytes. */
  heapUsedBytes: number;
  /** User plus system CPU time in seconds. */
  cpuSeconds: number;
  /** Open file descriptors (sockets included); null where /proc is not readable. */
  openFds: number | null;
  /** When the process started, in seconds since the epoch. */
  startSeconds: number;
}

const startSeconds = (Date.now() - performance.now()) / 1000;

/** Reads the process's figures now. */
export async function processFigures(): Promise<ProcessFigures> {
  const memory = Deno.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    openFds: await countOpenFds(),
    startSeconds,
  };
}

async function countOpenFds(): Promise<number | null> {
  try {
    let count = 0;
    for await (const _ of Deno.readDir("/proc/self/fd")) count++;
    return count;
  } catch {
    return null;
  }
}
