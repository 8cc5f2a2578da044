/**
 * Where asynchronous calls and schedule runs are kept: the seam between the
 * proxy's delivery loop and a durable engine. One machine uses SQLite in the
 * data folder ({@linkcode SqliteCallStore} in `sqlite_call_store.ts`); several
 * proxies in front of one swarm would share NATS JetStream instead:
 *
 * - `add`: publish to a work-queue stream `FAASO_CALLS`, subject
 *   `calls.NAME`, with the body as the message's payload (JetStream's own
 *   durability, `Nats-Msg-Id` = the call id against duplicates);
 * - `claim`: a durable pull consumer per funko with `max_ack_pending` = the
 *   funko's concurrency, so proxies share the calls and never exceed it;
 * - `retryLater`: `NAK` with the delay; `finish`: `ACK`, the outcome put in a
 *   KV bucket `FAASO_CALL_STATE` (what `list` and `get` read); dead letters
 *   are that bucket's failed entries, their body kept in an object store;
 * - schedule state: a KV bucket keyed by funko and entry, updated with
 *   compare-and-set on its revision, so that only one proxy starts each run.
 *
 * Nothing else in FaaSO knows which engine it talks to.
 *
 * @module
 */
import type { ScheduleRunState } from "./schedule.ts";

/** Every state a call can be in, in the order they come. */
export const CALL_STATES: readonly CallState[] = ["queued", "running", "failed", "done"];

/** Where a call is. */
export type CallState = "queued" | "running" | "done" | "failed";

/** What a call is doing: reaching the funko, then (with a callback URL) reaching the callback. */
export type CallPhase = "deliver" | "callback";

/** A call as accepted: what to send to the funko. */
export interface NewCall {
  /** The funko. */
  funko: string;
  /** The request's method. */
  method: string;
  /** Path and query under the funko (`/REST?QUERY`), as the proxy sends it. */
  target: string;
  /** The request's headers, hop-by-hop ones included (the proxy drops them when delivering). */
  headers: [string, string][];
  /** The body; null when there was none. */
  body: Uint8Array | null;
  /** The client's address (for X-Forwarded-For). */
  remote: string;
  /** Where to send the funko's answer. */
  callbackUrl: string | null;
}

/** A call without its bodies, as lists show it. */
export interface CallSummary {
  /** The call id (16 hex digits). */
  id: string;
  funko: string;
  state: CallState;
  phase: CallPhase;
  method: string;
  target: string;
  /** Attempts made in the current phase. */
  attempts: number;
  /** When it was accepted (ms since the epoch). */
  created: number;
  /** Its last change. */
  updated: number;
  /** When the next attempt may start. */
  due: number;
  /** The funko's last answer's status, if any. */
  status: number | null;
  /** Why the last attempt failed. */
  error: string | null;
  /** The callback URL, if any. */
  callbackUrl: string | null;
  /** The callback's answer status, if any. */
  callbackStatus: number | null;
  /** The request body's size. */
  bodyBytes: number;
}

/** A call with what delivering it needs. */
export interface StoredCall extends CallSummary {
  headers: [string, string][];
  body: Uint8Array | null;
  remote: string;
  /** How delivery ended, once it has (the callback phase). */
  outcome: "done" | "failed" | null;
  /** The funko's answer, kept for the callback. */
  answer: { status: number; headers: [string, string][]; body: Uint8Array } | null;
}

/** Calls of one funko by state, and totals since the store was created. */
export interface CallCounts {
  queued: number;
  running: number;
  failed: number;
  /** Done calls still kept ("done recently"). */
  done: number;
  /** Every call accepted. */
  acceptedTotal: number;
  /** Every call the funko answered (whatever the status) without running out of attempts. */
  deliveredTotal: number;
  /** Every call that ran out of attempts (a call retried and failing again counts again). */
  failedTotal: number;
}

/** Filters for {@linkcode CallStore.list}. */
export interface CallFilter {
  funko?: string;
  states?: CallState[];
  /** At most this many, newest first. Default 200. */
  limit?: number;
}

/** How a phase of a call ended. */
export interface PhaseEnd {
  /** done: the funko (or the callback) answered; failed: out of attempts. */
  state: "done" | "failed";
  /** The answer's status, if there was one. */
  status: number | null;
  /** Why it failed. */
  error: string | null;
  /** Attempts made. */
  attempts: number;
  /** The funko's answer to keep for the callback (deliver phase, with a callback URL). */
  answer?: { status: number; headers: [string, string][]; body: Uint8Array };
}

/** The durable store of calls and schedule runs (see the module's notes for the JetStream mapping). */
export interface CallStore {
  /** Stores a new call, queued and due now; it is durable once this resolves. */
  add(call: NewCall, now?: number): Promise<CallSummary>;
  /** Funkos with calls queued for delivery, and when the earliest is due. */
  queuedFunkos(): Promise<{ funko: string; due: number }[]>;
  /** When the earliest queued callback is due, if any. */
  nextCallbackDue(): Promise<number | null>;
  /** Marks up to `max` due calls running and returns them: of `funko` in the deliver phase, or callbacks. */
  claim(which: { funko: string } | { callbacks: true }, max: number, now?: number): Promise<StoredCall[]>;
  /** After a failed attempt: queued again, due at `due`; null status or error keep the previous one. */
  retryLater(id: string, attempts: number, due: number, status: number | null, error: string | null): Promise<void>;
  /**
   * Ends the current phase. A delivered (or failed) call with a callback URL
   * moves on to the callback phase, queued and due now; else it is final.
   */
  endPhase(id: string, end: PhaseEnd, now?: number): Promise<void>;
  /** One call, by id or a unique prefix of at least 4 characters; null when none. */
  get(id: string): Promise<CallSummary | null>;
  /** Calls, newest first. */
  list(filter?: CallFilter): Promise<CallSummary[]>;
  /** Queues a failed call again, due now, with its attempts reset; null when there is no such failed call. */
  retry(id: string, now?: number): Promise<CallSummary | null>;
  /** Forgets a call (any state but running); null when there is no such call. */
  remove(id: string): Promise<CallSummary | null>;
  /** Puts calls left running by a proxy that died back in the queue (at start); returns how many. */
  requeueRunning(now?: number): Promise<number>;
  /** Counts by funko. */
  counts(): Promise<Record<string, CallCounts>>;
  /** Forgets done calls older than `before`; returns how many. */
  pruneDone(before: number): Promise<number>;
  /** What the proxy last did for each schedule entry (of one funko, or all). */
  scheduleStates(funko?: string): Promise<ScheduleRunState[]>;
  /** A scheduled run started. */
  scheduleStarted(funko: string, entry: string, planned: number, started: number): Promise<void>;
  /** A scheduled run ended. */
  scheduleFinished(funko: string, entry: string, finished: number, result: string, ok: boolean): Promise<void>;
  /** A run was skipped: the previous one still ran. */
  scheduleSkipped(funko: string, entry: string): Promise<void>;
  /** Closes the store. */
  close(): void;
}
