/**
 * The call store's SQLite schema and how its rows become {@linkcode CallSummary}
 * and {@linkcode StoredCall} objects (see `sqlite_call_store.ts`).
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import type { CallPhase, CallState, CallSummary, StoredCall } from "./call_store.ts";

/** A row as node:sqlite returns it. */
export type Row = Record<string, SQLInputValue>;

/** The tables: calls (bodies included), totals by funko, schedule runs. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS calls (
  id TEXT PRIMARY KEY,
  funko TEXT NOT NULL,
  state TEXT NOT NULL,
  phase TEXT NOT NULL,
  method TEXT NOT NULL,
  target TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB,
  body_bytes INTEGER NOT NULL,
  remote TEXT NOT NULL,
  callback_url TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  due INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  outcome TEXT,
  answer_headers TEXT,
  answer_body BLOB,
  callback_status INTEGER
);
CREATE INDEX IF NOT EXISTS calls_queue ON calls (phase, state, funko, due);
CREATE INDEX IF NOT EXISTS calls_funko ON calls (funko, created);
CREATE TABLE IF NOT EXISTS call_totals (
  funko TEXT PRIMARY KEY,
  accepted INTEGER NOT NULL DEFAULT 0,
  delivered INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS schedule_runs (
  funko TEXT NOT NULL,
  entry TEXT NOT NULL,
  last_planned INTEGER,
  last_started INTEGER,
  last_finished INTEGER,
  last_result TEXT,
  last_ok INTEGER,
  runs INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (funko, entry)
);
`;

/** The columns lists show (no bodies). */
export const SUMMARY = "id, funko, state, phase, method, target, attempts, created, updated, due, status, error, " +
  "callback_url, callback_status, body_bytes";

/**
 * A call id: 16 random hex digits, so that its first few characters name it
 * (`faaso calls retry 3fa9`). Not time first: calls made in the same second
 * then shared their first 8 characters, and a short prefix named several.
 */
export function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A nullable integer column. */
export function nullableNumber(value: SQLInputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A row as a summary. */
export function toSummary(row: Row): CallSummary {
  return {
    id: String(row.id),
    funko: String(row.funko),
    state: row.state as CallState,
    phase: row.phase as CallPhase,
    method: String(row.method),
    target: String(row.target),
    attempts: Number(row.attempts),
    created: Number(row.created),
    updated: Number(row.updated),
    due: Number(row.due),
    status: nullableNumber(row.status),
    error: row.error === null ? null : String(row.error),
    callbackUrl: row.callback_url === null ? null : String(row.callback_url),
    callbackStatus: nullableNumber(row.callback_status),
    bodyBytes: Number(row.body_bytes),
  };
}

/** A row (all columns) as a stored call. */
export function toStoredCall(row: Row): StoredCall {
  const answerBody = row.answer_body as Uint8Array | null;
  return {
    ...toSummary(row),
    headers: JSON.parse(String(row.headers)),
    body: row.body as Uint8Array | null,
    remote: String(row.remote),
    outcome: row.outcome === "done" || row.outcome === "failed" ? row.outcome : null,
    answer: row.outcome === null || row.outcome === undefined ? null : {
      status: Number(row.status ?? 502),
      headers: JSON.parse(String(row.answer_headers ?? "[]")),
      body: answerBody ?? new Uint8Array(0),
    },
  };
}
