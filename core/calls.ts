/**
 * What `faaso calls` and the admin API do with stored async calls: list,
 * retry a failed one, forget one; and what status adds to each funko (its
 * queue and its schedules). The same functions serve the CLI's local mode
 * and the server.
 *
 * @module
 */
import type { CallCounts, CallFilter, CallStore, CallSummary } from "./call_store.ts";
import { FaasoError, notFound } from "./errors.ts";
import { type ScheduleRunState, scheduleStatus } from "./schedule.ts";
import type { FunkoStatus } from "./status.ts";

/** The states `faaso calls --state` takes. */
export { CALL_STATES } from "./call_store.ts";
import { CALL_STATES } from "./call_store.ts";

/** Lists calls, newest first. */
export async function listCalls(store: CallStore, filter: CallFilter = {}): Promise<CallSummary[]> {
  for (const state of filter.states ?? []) {
    if (!CALL_STATES.includes(state)) {
      throw new FaasoError(`Cannot list calls: state ${state} is none of ${CALL_STATES.join(", ")}`);
    }
  }
  return await store.list(filter);
}

/** Queues a failed call again, attempts reset. */
export async function retryCall(store: CallStore, id: string): Promise<CallSummary> {
  const retried = await store.retry(id);
  if (retried) return retried;
  const call = await store.get(id);
  if (!call) throw notFound(`No call ${id}: faaso calls lists them (ids or their first 4+ characters)`);
  throw new FaasoError(`Cannot retry call ${call.id}: it is ${call.state}; only failed calls are retried`, {
    status: 409,
    code: "not_failed",
  });
}

/** Forgets a call that is not being delivered right now. */
export async function removeCall(store: CallStore, id: string): Promise<CallSummary> {
  const removed = await store.remove(id);
  if (removed) return removed;
  const call = await store.get(id);
  if (!call) throw notFound(`No call ${id}: faaso calls lists them (ids or their first 4+ characters)`);
  throw new FaasoError(`Cannot remove call ${call.id}: it is being delivered right now; try again in a moment`, {
    status: 409,
    code: "call_running",
  });
}

/** Adds each funko's call counts and schedules (next run from its settings, last run from the store). */
export async function withInvocations(funkos: FunkoStatus[], store: CallStore | null): Promise<FunkoStatus[]> {
  const [counts, states]: [Record<string, CallCounts>, ScheduleRunState[]] = store
    ? await Promise.all([store.counts(), store.scheduleStates()])
    : [{}, []];
  return funkos.map((funko) => ({
    ...funko,
    calls: counts[funko.name] ?? null,
    schedules: scheduleStatus(funko.settings.schedule ?? [], states.filter((state) => state.funko === funko.name)),
  }));
}
