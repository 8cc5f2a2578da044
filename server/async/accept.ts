/**
 * `POST /async/funko/NAME/REST`: accepts a call for later delivery. Any method
 * but GET and HEAD; the answer is 202 with the call's id once the call is
 * stored, 413 for a body over the funko's `async.max_body`, 404 for an unknown
 * funko, 400 for a bad `X-Callback-Url`.
 *
 * @module
 */
import { sizeBytes } from "../../core/async_settings.ts";
import type { CallStore } from "../../core/call_store.ts";
import { FUNKO_NAME_PATTERN } from "../../core/names.ts";
import { jsonAnswer, type ServerRequest, type ServerResponse } from "../../http1/mod.ts";
import { parseTarget } from "../proxy/forward.ts";
import type { ImageSettings } from "./funko_settings.ts";

const PREFIX = "/async";

/** Headers not kept with the call: the callback is FaaSO's business, framing is set anew. */
const NOT_KEPT = new Set(["x-callback-url", "content-length", "transfer-encoding", "expect"]);

/** Whether a request target is under `/async/funko/`. */
export function isAsyncTarget(target: string): boolean {
  return target.startsWith("/async/funko/");
}

/** Options for {@linkcode acceptCall}. */
export interface AcceptOptions {
  store: CallStore;
  settings: ImageSettings;
  /** Called once the call is stored. */
  onAccepted: () => void;
}

/** Stores the call a request asks for and answers 202, or says why not. */
export async function acceptCall(request: ServerRequest, options: AcceptOptions): Promise<ServerResponse> {
  const target = parseTarget(request.target.slice(PREFIX.length));
  if (!target || !FUNKO_NAME_PATTERN.test(target.funko)) {
    return jsonAnswer(404, "not_found", "Use /async/funko/NAME/PATH to call a funko asynchronously");
  }
  if (request.method === "GET" || request.method === "HEAD") {
    return jsonAnswer(405, "method_not_allowed", "An async call has a method other than GET or HEAD, such as POST", [
      ["allow", "POST, PUT, PATCH, DELETE"],
    ]);
  }
  const settings = await options.settings.of(target.funko);
  if (!settings) return jsonAnswer(404, "unknown_funko", `There is no funko named ${target.funko}`);
  const callbackUrl = request.header("x-callback-url") ?? null;
  if (callbackUrl !== null && !isHttpUrl(callbackUrl)) {
    return jsonAnswer(400, "bad_callback_url", `X-Callback-Url must be an http or https URL, not ${callbackUrl}`);
  }
  const limit = sizeBytes(settings.async.max_body);
  const declared = Number(request.header("content-length") ?? 0);
  if (declared > limit) return tooLarge(target.funko, limit);
  const body = await readBody(request.body, limit);
  if (body === "too large") return tooLarge(target.funko, limit);
  const call = await options.store.add({
    funko: target.funko,
    method: request.method,
    target: (target.rest ?? "/") + target.query,
    headers: request.headers.filter(([name]) => !NOT_KEPT.has(name)),
    body,
    remote: request.remoteAddr.hostname,
    callbackUrl,
  });
  options.onAccepted();
  const answer = JSON.stringify({ id: call.id, funko: call.funko, state: call.state });
  return {
    status: 202,
    headers: [["content-type", "application/json"], ["x-call-id", call.id]],
    body: new TextEncoder().encode(answer),
  };
}

/** The 413 answer; the listener closes the connection after it, as the body was not read to its end. */
function tooLarge(funko: string, limit: number): ServerResponse {
  return jsonAnswer(
    413,
    "body_too_large",
    `An async call to ${funko} may carry at most ${limit} bytes (async.max_body)`,
  );
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The whole body, or "too large" as soon as it passes `limit` bytes; null when there is none. */
async function readBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<Uint8Array | null | "too large"> {
  if (body === null) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return "too large";
    }
    chunks.push(value);
  }
  return new Uint8Array(await new Blob(chunks as Uint8Array<ArrayBuffer>[]).arrayBuffer());
}
