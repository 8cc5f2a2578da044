/**
 * A steady HTTP load for tests and benchmarks: N connections each sending GETs back to back,
 * counting every answer that is not a 200 (and every network error) as failed.
 *
 * @module
 */

/** What a load run saw. */
export interface LoadReport {
  /** Answers with status 200. */
  ok: number;
  /** Everything else. */
  failed: number;
  /** The first few failures, for the assertion message. */
  failures: string[];
  /** How often each 200 body was seen. */
  bodies: Map<string, number>;
  /** Milliseconds the load ran (set by `stop`). */
  ms: number;
}

/** A load in progress. */
export interface Load {
  /** Stops sending and reports. */
  stop(): Promise<LoadReport>;
  /** The report so far. */
  readonly report: LoadReport;
}

/** Starts `connections` loops GETting `url` until stopped. */
export function startLoad(url: string, connections: number): Load {
  const report: LoadReport = { ok: 0, failed: 0, failures: [], bodies: new Map(), ms: 0 };
  const started = performance.now();
  let running = true;
  const fail = (what: string) => {
    report.failed++;
    if (report.failures.length < 10) report.failures.push(what);
  };
  const loops = Array.from({ length: connections }, async () => {
    while (running) {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        const body = await response.text();
        if (response.status === 200) {
          report.ok++;
          report.bodies.set(body, (report.bodies.get(body) ?? 0) + 1);
        } else {
          fail(`${response.status}: ${body.slice(0, 200)}`);
        }
      } catch (error) {
        fail((error as Error).message.slice(0, 200));
      }
    }
  });
  return {
    report,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      report.ms = performance.now() - started;
      return report;
    },
  };
}
