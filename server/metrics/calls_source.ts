/**
 * The async calls' series (server/async/), read from the call store at each
 * scrape: how many wait, run, failed or were done lately, and how many were
 * accepted, delivered and failed since the store was created.
 *
 * @module
 */
import type { CallStore } from "../../core/call_store.ts";
import type { MetricSource } from "./metrics.ts";

/** `faaso_calls{funko,state}` and `faaso_calls_total{funko,outcome}`, from the call store. */
export function callMetrics(store: Pick<CallStore, "counts">): MetricSource {
  return async function writeCalls(text) {
    const counts = Object.entries(await store.counts());
    text.family("faaso_calls", "gauge", "Async calls now, by funko and state (done: those kept, the last hour's)");
    for (const [funko, c] of counts) {
      for (
        const [state, value] of [["queued", c.queued], ["running", c.running], ["failed", c.failed], [
          "done",
          c.done,
        ]] as const
      ) {
        text.sample("faaso_calls", [["funko", funko], ["state", state]], value);
      }
    }
    text.family("faaso_calls_total", "counter", "Async calls by funko and outcome, since the call store was made");
    for (const [funko, c] of counts) {
      text.sample("faaso_calls_total", [["funko", funko], ["outcome", "accepted"]], c.acceptedTotal);
      text.sample("faaso_calls_total", [["funko", funko], ["outcome", "delivered"]], c.deliveredTotal);
      text.sample("faaso_calls_total", [["funko", funko], ["outcome", "failed"]], c.failedTotal);
    }
  };
}
