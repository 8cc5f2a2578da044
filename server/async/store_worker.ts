/**
 * The worker that holds the server's SQLite call store: SQLite's calls are
 * synchronous, and a commit that waits on the disk (a checkpoint: measured up
 * to 20-35 ms on a busy machine) would stall every request the proxy's thread
 * serves. Here it stalls only this thread. Messages: `{ root }` opens the
 * store; `{ id, method, args }` calls it and answers `{ id, result }` or
 * `{ id, error }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { SqliteCallStore } from "../../core/sqlite_call_store.ts";

let store: SqliteCallStore | undefined;

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as { root?: string; id?: number; method?: string; args?: unknown[] };
  if (message.root !== undefined) {
    try {
      store = SqliteCallStore.inFolder(message.root);
      self.postMessage({ opened: true });
    } catch (error) {
      self.postMessage({ opened: false, error: String(error) });
    }
    return;
  }
  try {
    const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[message.method!]!;
    const result = await method.apply(store, message.args ?? []);
    self.postMessage({ id: message.id, result });
  } catch (error) {
    self.postMessage({ id: message.id, error: (error as Error).message ?? String(error) });
  }
};
