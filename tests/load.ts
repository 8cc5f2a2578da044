/**
 * A steady HTTP load for tests and benchmarks: N connections each sending requests (GETs unless
 * told otherwise) back to back, counting every answer that is not a 200 (and every network
 * error, and every body the check refuses) as failed.
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

/** Options for {@linkcode startLoad}. */
export interface LoadOptions {
  /** Method and body of every request (a body makes a request one the proxy never sends twice). */
  init?: { method?: string; body?: string };
  /** Says what is wrong with a 200's body, or undefined when it is whole (a stream cut short). */
  check?: (body: string) => string | undefined;
}

/** Starts `connections` loops sending requests to `url` until stopped. */
export function startLoad(url: string, connections: number, options: LoadOptions = {}): Load {
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
        const response = await fetch(url, { ...options.init, signal: AbortSignal.timeout(30_000) });
        const body = await response.text();
        const problem = response.status === 200 ? options.check?.(body) : undefined;
        if (problem) {
          fail(`200 with ${problem}`);
        } else if (response.status === 200) {
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

/**
 * Long requests against the echo funko (tests/fixtures/echo) at `base`: 10
 * connections POSTing to /work (2 s each, with a body: the proxy never sends
 * them twice, so only draining saves them) and 4 reading 2 s event streams
 * (10 events each; a stream cut short fails). Some are always in flight. The
 * report's bodies are the POSTs' answers: `INSTANCE POST long`.
 */
export function startLongLoad(base: string): Load {
  const posts = startLoad(`${base}/work/long/2000`, 10, { init: { method: "POST", body: "never sent twice" } });
  const streams = startLoad(`${base}/sse?count=10&every=200`, 4, {
    check: (body) => {
      const events = body.match(/^data: tick \d+ /gm)?.length ?? 0;
      return events === 10 ? undefined : `a stream cut short: ${events} of 10 events`;
    },
  });
  return {
    report: posts.report,
    stop: async () => {
      const [post, stream] = await Promise.all([posts.stop(), streams.stop()]);
      return {
        ...post,
        ok: post.ok + stream.ok,
        failed: post.failed + stream.failed,
        failures: [...post.failures, ...stream.failures],
      };
    },
  };
}
