/**
 * Writing HTTP/1.1 messages: answers for the listener (server/http1_server.ts),
 * with the framing the body needs (Content-Length, chunked, or until close for
 * HTTP/1.0) and small ones in one write; the chunk framing, JSON error answers
 * and socket helpers that the upstream client and the WebSocket relay share.
 *
 * @module
 */
import type { RequestHead } from "./http1_head.ts";

const encoder = new TextEncoder();
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

/**
 * Writes `response` with its framing: Content-Length for bytes, the given
 * length or chunked encoding for streams (close-delimited for HTTP/1.0),
 * composed in the connection's `buffer`.
 * False when the connection must close (the client went away, or the body
 * ends with the connection).
 */
export async function writeResponse(
  conn: Deno.TcpConn,
  buffer: MessageBuffer,
  request: RequestHead,
  response: ServerResponse,
  keepAlive: boolean,
): Promise<boolean> {
  const { status, body } = response;
  const bodiless = request.method === "HEAD" || status === 204 || status === 304 || status < 200;
  let head = `HTTP/1.1 ${status} ${response.statusText || STATUS_TEXT[status] || ""}\r\n`;
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
    head += `${name}: ${value}\r\n`;
  }
  if (!dated) head += `date: ${httpDate()}\r\n`;
  let chunked = false;
  if (body instanceof Uint8Array) head += `content-length: ${bodiless && length ? length : body.length}\r\n`;
  else if (body === null) {
    if (length !== undefined || !bodiless) head += `content-length: ${length ?? 0}\r\n`;
  } else if (length !== undefined) head += `content-length: ${length}\r\n`;
  else if (!bodiless && !request.http10) {
    head += "transfer-encoding: chunked\r\n";
    chunked = true;
  } else if (!bodiless) keepAlive = false;
  head += keepAlive ? (request.http10 ? "connection: keep-alive\r\n\r\n" : "\r\n") : "connection: close\r\n\r\n";

  if (!(body instanceof ReadableStream)) {
    return await writeAll(conn, buffer.compose(head, body && !bodiless ? body : undefined)) && keepAlive;
  }
  const headBytes = buffer.compose(head);
  if (bodiless) {
    body.cancel().catch(() => {});
    return await writeAll(conn, headBytes) && keepAlive;
  }
  if (!await writeAll(conn, headBytes)) {
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

/** Messages up to this size are composed in a connection's reused buffer; larger ones get their own array. */
const MAX_REUSED = 16 * 1024;

/**
 * A connection's buffer for writing one message at a time: its head as
 * Latin-1 (each character one byte, as heads are read) and a small body
 * after it, in one piece and without allocating. What it returns is valid
 * until its next use: a connection uses it again only once its write ended.
 */
export class MessageBuffer {
  #bytes = new Uint8Array(2048);

  /** `head`, then `body`, as bytes. */
  compose(head: string, body?: Uint8Array): Uint8Array<ArrayBuffer> {
    const length = head.length + (body?.length ?? 0);
    let bytes = this.#bytes;
    if (length > MAX_REUSED) bytes = new Uint8Array(length);
    else if (length > bytes.length) bytes = this.#bytes = new Uint8Array(Math.max(length, bytes.length * 2));
    writeLatin1(head, bytes);
    if (body) bytes.set(body, head.length);
    return bytes.subarray(0, length);
  }
}

/** `text` as Latin-1 bytes: how heads go on the wire (characters above 255 never occur in them). */
export function latin1Bytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  writeLatin1(text, bytes);
  return bytes;
}

function writeLatin1(text: string, into: Uint8Array): void {
  // ASCII (nearly every head) is the same in UTF-8, which encodeInto writes fast.
  const { read, written } = encoder.encodeInto(text, into);
  if (read === text.length && written === text.length) return;
  for (let i = 0; i < text.length; i++) into[i] = text.charCodeAt(i);
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

/** A JSON error answer, `{"error": {"code", "message"}}`, as the admin API's. */
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

/** Reason phrases for the statuses FaaSO itself answers with; others pass the upstream's own. */
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
