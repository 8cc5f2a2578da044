/**
 * Writing HTTP/1.1 messages: answers for the listener (server.ts),
 * with the framing the body needs (Content-Length, chunked, or until close for
 * HTTP/1.0) and small ones in one write; the chunk framing, JSON error answers
 * and socket helpers that the upstream client and a WebSocket relay share.
 *
 * @module
 */
import type { RequestHead } from "./request_head.ts";

const encoder = new TextEncoder();
/**
 * Called on each text rather than looked up on it: heads mix literals, slices
 * of received heads and joined strings, which V8 keeps in different shapes, so
 * `text.charCodeAt` was a megamorphic lookup for every byte (7-8% of the
 * proxy's time in `perf`).
 */
const charCodeAt = String.prototype.charCodeAt;
const CRLF = encoder.encode("\r\n");
/** The end of a chunked body (no trailers). */
export const LAST_CHUNK = encoder.encode("0\r\n\r\n");

/** An answer to write: the framing headers (length, chunked, connection) are the server's business. */
export interface ServerResponse {
  status: number;
  statusText?: string;
  headers: Iterable<[string, string]>;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
}

/** How an answer's body is framed on the wire. */
type BodyFraming = "length" | "chunked" | "close";

/**
 * Writes `response` with its framing: Content-Length for bytes, the given
 * length or chunked encoding for streams (close-delimited for HTTP/1.0),
 * its head composed in the connection's `buffer`. False when the connection
 * must close (the client went away, or the body ends with the connection).
 */
export function writeResponse(
  conn: Deno.TcpConn,
  buffer: MessageBuffer,
  request: RequestHead,
  response: ServerResponse,
  keepAlive: boolean,
): Promise<boolean> {
  const body = response.body;
  const status = response.status;
  const bodiless = request.method === "HEAD" || status === 204 || status === 304 || status < 200;
  const framing = composeHead(buffer, request, response, bodiless, keepAlive);
  const keep = keepAlive && framing !== "close";
  if (!(body instanceof ReadableStream)) {
    if (body && !bodiless) buffer.bytes(body);
    const written = writeAll(conn, buffer.finish());
    return keep ? written : written.then(FALSE);
  }
  return writeStream(conn, buffer.finish(), body, bodiless, framing === "chunked", keep);
}

const FALSE = () => false;

/** Writes the status line, headers and framing headers of `response` into `buffer`; returns how its body goes. */
function composeHead(
  buffer: MessageBuffer,
  request: RequestHead,
  response: ServerResponse,
  bodiless: boolean,
  keepAlive: boolean,
): BodyFraming {
  const { status, body } = response;
  buffer.start().text("HTTP/1.1 ").text(String(status)).text(" ")
    .text(response.statusText || STATUS_TEXT[status] || "").text("\r\n");
  let length: string | undefined;
  let dated = false;
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      length = value;
      continue;
    }
    if (lower === "connection" || lower === "transfer-encoding" || lower === "keep-alive") continue;
    if (lower === "date") dated = true;
    buffer.text(name).text(": ").text(value).text("\r\n");
  }
  if (!dated) buffer.text("date: ").text(httpDate()).text("\r\n");
  let framing: BodyFraming = "length";
  if (body instanceof Uint8Array) {
    buffer.text("content-length: ").text(bodiless && length ? length : String(body.length)).text("\r\n");
  } else if (body === null) {
    if (length !== undefined || !bodiless) buffer.text("content-length: ").text(length ?? "0").text("\r\n");
  } else if (length !== undefined) buffer.text("content-length: ").text(length).text("\r\n");
  else if (!bodiless && !request.http10) {
    buffer.text("transfer-encoding: chunked\r\n");
    framing = "chunked";
  } else if (!bodiless) framing = "close";
  const keep = keepAlive && framing !== "close";
  buffer.text(keep ? (request.http10 ? "connection: keep-alive\r\n\r\n" : "\r\n") : "connection: close\r\n\r\n");
  return framing;
}

/** Writes a head, then a streamed body (chunked when asked); a bodiless answer's stream is cancelled. */
async function writeStream(
  conn: Deno.TcpConn,
  head: Uint8Array,
  body: ReadableStream<Uint8Array>,
  bodiless: boolean,
  chunked: boolean,
  keepAlive: boolean,
): Promise<boolean> {
  if (bodiless) {
    body.cancel().catch(() => {});
    return await writeAll(conn, head) && keepAlive;
  }
  if (!await writeAll(conn, head)) {
    body.cancel().catch(() => {});
    return false;
  }
  const reader = body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!value.length) continue;
      if (!await writeAll(conn, chunked ? frameChunk(value) : value)) {
        reader.cancel().catch(() => {});
        return false;
      }
    }
  } catch {
    // The body failed (its upstream broke): the client must see an incomplete answer, not a complete one.
    return false;
  }
  return (!chunked || await writeAll(conn, LAST_CHUNK)) && keepAlive;
}

/** Messages up to this size are composed in a connection's reused buffer; larger ones leave it behind. */
const MAX_REUSED = 16 * 1024;

/**
 * A connection's buffer for writing one message at a time: its head as
 * Latin-1 (each character one byte, as heads are read) and a small body
 * after it, in one piece, without building strings. What
 * {@linkcode MessageBuffer.finish} returns is valid until the next
 * {@linkcode MessageBuffer.start}: a connection starts the next message only
 * once the write of the last one ended.
 */
export class MessageBuffer {
  #bytes = new Uint8Array(2048);
  #length = 0;

  /** Begins a new message. */
  start(): this {
    this.#length = 0;
    return this;
  }

  /** Appends `text` as Latin-1 (characters above 255 never occur in heads). */
  text(text: string): this {
    const count = text.length;
    const at = this.#length;
    const end = at + count;
    if (end > this.#bytes.length) this.#grow(end);
    const bytes = this.#bytes;
    for (let i = 0; i < count; i++) bytes[at + i] = charCodeAt.call(text, i);
    this.#length = end;
    return this;
  }

  /** Appends `bytes`. */
  bytes(bytes: Uint8Array): this {
    const end = this.#length + bytes.length;
    if (end > this.#bytes.length) this.#grow(end);
    this.#bytes.set(bytes, this.#length);
    this.#length = end;
    return this;
  }

  /** The message so far. */
  finish(): Uint8Array<ArrayBuffer> {
    const message = this.#bytes.subarray(0, this.#length);
    // A large message keeps its array only as long as its write: the next one starts small again.
    if (this.#bytes.length > MAX_REUSED) this.#bytes = new Uint8Array(2048);
    return message;
  }

  #grow(needed: number): void {
    const bigger = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    bigger.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = bigger;
  }
}

/** `text` as Latin-1 bytes: how heads go on the wire. */
export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  return new MessageBuffer().text(text).finish();
}

/** One chunk of a chunked body: its size in hex, the bytes, CRLF. */
export function frameChunk(chunk: Uint8Array): Uint8Array {
  const size = encoder.encode(`${chunk.length.toString(16)}\r\n`);
  const framed = new Uint8Array(size.length + chunk.length + 2);
  framed.set(size);
  framed.set(chunk, size.length);
  framed.set(CRLF, size.length + chunk.length);
  return framed;
}

/** Writes every byte; false when the connection broke. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    // Nearly always one write takes it all: no view of the rest is made then.
    let written = await conn.write(bytes);
    while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    return true;
  } catch {
    return false;
  }
}

/** A JSON error answer, `{"error": {"code", "message"}}`: the shape of the listener's own refusals. */
export function jsonAnswer(
  status: number,
  code: string,
  message: string,
  headers: [string, string][] = [],
): ServerResponse {
  return {
    status,
    headers: [["content-type", "application/json"], ...headers],
    body: encoder.encode(JSON.stringify({ error: { code, message } })),
  };
}

/** Closes a connection that may be closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

let dateText = "";
let dateSecond = 0;

/** The Date header's value, computed once a second. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** Reason phrases for the statuses answered here and by a proxy itself; others pass the upstream's own. */
const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
