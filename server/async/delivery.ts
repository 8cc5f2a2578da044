/**
 * One attempt at an async call or a scheduled run: a request made up from the
 * stored call and handed to the proxy's own `/funko/` handler, so it takes the
 * path any request takes (the routing table, a wait for a starting or waking
 * instance, the funko's port, X-Forwarded-*); and one attempt at a callback.
 *
 * @module
 */
import type { NewCall } from "../../core/call_store.ts";
import type { ServerRequest, ServerResponse } from "../../http1/mod.ts";

/** The proxy's handler for `/funko/` requests. */
export type FunkoHandler = (request: ServerRequest) => ServerResponse | Promise<ServerResponse | null>;

/** What to send to the funko: a stored call's request. */
export type Invocation = Pick<NewCall, "funko" | "method" | "target" | "headers" | "body" | "remote">;

/** The funko's answer, read whole (up to a limit). */
export interface Answer {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
  /** The body was longer than the limit and is cut there. */
  truncated: boolean;
}

/** Headers a stored request must not carry again: the body's framing is set anew. */
const FRAMING = new Set(["content-length", "transfer-encoding"]);

/**
 * Sends `invocation` through the proxy's handler and reads the answer, keeping
 * at most `keepBytes` of its body. Throws only when the handler does (or the
 * signal aborts); a funko that cannot be reached is the proxy's 502/503/504.
 */
export async function invoke(
  handler: FunkoHandler,
  invocation: Invocation,
  keepBytes: number,
  signal: AbortSignal,
): Promise<Answer> {
  const gone = () => request.onGoneCallback?.();
  const request = syntheticRequest(invocation, signal);
  // Removed again below: the signal (the server stopping) outlives every call.
  signal.addEventListener("abort", gone, { once: true });
  try {
    const response = await handler(request);
    if (!response) throw new Error("the funko took the connection over (a WebSocket): not for an async call");
    const { body, truncated } = await readUpTo(response.body, keepBytes);
    return { status: response.status, headers: [...response.headers], body, truncated };
  } finally {
    signal.removeEventListener("abort", gone);
  }
}

/** A listener request made from a stored one; the caller calls `onGoneCallback` when `signal` aborts. */
function syntheticRequest(
  invocation: Invocation,
  signal: AbortSignal,
): ServerRequest & { onGoneCallback?: () => void } {
  const headers = invocation.headers.filter(([name]) => !FRAMING.has(name));
  if (invocation.body) headers.push(["content-length", String(invocation.body.byteLength)]);
  const bytes = invocation.body;
  return {
    method: invocation.method,
    target: `/funko/${invocation.funko}${invocation.target}`,
    headers,
    body: bytes === null ? null : new ReadableStream({
      start(controller) {
        if (bytes.byteLength) controller.enqueue(bytes.slice() as Uint8Array<ArrayBuffer>);
        controller.close();
      },
    }),
    signal,
    remoteAddr: { transport: "tcp", hostname: invocation.remote, port: 0 },
    header: (name) => headers.find(([key]) => key === name)?.[1],
    takeOver: () => {
      throw new Error("An async call has no connection to take over");
    },
    get gone() {
      return signal.aborted;
    },
    onGone(callback) {
      this.onGoneCallback = callback;
    },
  };
}

/** Reads a body, keeping at most `limit` bytes (the rest is read and dropped, so the connection stays usable). */
async function readUpTo(
  body: ServerResponse["body"],
  limit: number,
): Promise<{ body: Uint8Array; truncated: boolean }> {
  if (body === null) return { body: new Uint8Array(0), truncated: false };
  if (body instanceof Uint8Array) {
    return { body: body.byteLength > limit ? body.slice(0, limit) : body, truncated: body.byteLength > limit };
  }
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let truncated = false;
  for await (const chunk of body) {
    if (kept >= limit) {
      truncated = true;
      continue;
    }
    const part = chunk.byteLength > limit - kept ? chunk.subarray(0, limit - kept) : chunk;
    truncated ||= part !== chunk;
    chunks.push(part);
    kept += part.byteLength;
  }
  return { body: new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer()), truncated };
}

/** What the callback gets besides the funko's own headers. */
export interface CallbackInfo {
  callId: string;
  funko: string;
  /** done, or failed (the funko never gave a final answer). */
  outcome: "done" | "failed";
  /** The funko's status; for a failure without an answer, 502. */
  status: number;
}

/** Headers of the funko's answer not passed to the callback: framing, and those about one connection. */
const NOT_PASSED = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"]);

/**
 * POSTs the funko's answer to the callback URL: its body and headers, and
 * `X-Call-Id`, `X-Function-Name`, `X-Function-Status` (OpenFaaS's names) and
 * `X-Faaso-Outcome`. Resolves with the callback's status; throws on network
 * failure or timeout.
 */
export async function postCallback(
  url: string,
  answer: { headers: [string, string][]; body: Uint8Array },
  info: CallbackInfo,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number> {
  const headers = new Headers();
  for (const [name, value] of answer.headers) if (!NOT_PASSED.has(name.toLowerCase())) headers.append(name, value);
  headers.set("x-call-id", info.callId);
  headers.set("x-function-name", info.funko);
  headers.set("x-function-status", String(info.status));
  headers.set("x-faaso-outcome", info.outcome);
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: answer.body as Uint8Array<ArrayBuffer>,
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    redirect: "manual",
  });
  await response.body?.cancel();
  return response.status;
}
