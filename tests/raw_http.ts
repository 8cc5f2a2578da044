/**
 * HTTP/1.1 as bytes on a socket, for checks that a `fetch` would hide: it
 * decompresses gzip answers, drops a HEAD answer's framing, and gives no
 * access to a connection's later answers. {@linkcode rawExchange} sends
 * bytes and reads until the server closes; {@linkcode decodeResponses} turns
 * what a server sent on one connection into its answers, bodies de-chunked.
 *
 * @module
 */
import { REQUEST_TIMEOUT_MS, TIME_SCALE, track } from "./limits.ts";

/** One answer as it came over the wire. */
export interface RawResponse {
  /** The status code. */
  status: number;
  /** The header lines in order, names lowercased. */
  headers: [string, string][];
  /** The body's bytes, de-chunked (as sent when neither chunked nor framed: up to the close). */
  body: Uint8Array<ArrayBuffer>;
  /** False when the bytes ended before the body did (a stream still open when it was read). */
  complete: boolean;
}

/** The value of a header (the first of its lines), or undefined. */
export function header(response: RawResponse, name: string): string | undefined {
  return response.headers.find(([key]) => key === name.toLowerCase())?.[1];
}

/** Options for {@linkcode rawExchange}. */
export interface RawExchangeOptions {
  /** The methods of the requests sent, in order (a HEAD answer has no body). Default: all GET. */
  methods?: string[];
  /** Give up after this long. Default REQUEST_TIMEOUT_MS. */
  timeoutMs?: number;
}

/**
 * Connects to `url`'s host and port, writes `request` as it is, reads until
 * the server closes the connection (send `Connection: close` on the last
 * request), and decodes the answers.
 */
export async function rawExchange(
  url: string,
  request: string | Uint8Array,
  options: RawExchangeOptions = {},
): Promise<RawResponse[]> {
  const { hostname, port } = new URL(url);
  const timeoutMs = (options.timeoutMs ?? REQUEST_TIMEOUT_MS) * TIME_SCALE;
  const done = track(`raw exchange with ${url}`);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const timer = setTimeout(() => connection.close(), timeoutMs);
  let timedOut = false;
  try {
    await connection.write(typeof request === "string" ? new TextEncoder().encode(request) : request);
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await connection.read(buffer);
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) {
          timedOut = true;
          break;
        }
        throw error;
      }
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    if (timedOut) throw new Error(`${url}: the server did not close the connection within ${timeoutMs} ms`);
    return decodeResponses(concat(chunks), options.methods);
  } finally {
    clearTimeout(timer);
    if (!timedOut) connection.close();
    done();
  }
}

/**
 * The answers in `bytes` (what a server sent on one connection), framed as
 * RFC 9112 says: no body for HEAD (`methods[i]`), 1xx, 204 and 304; chunked,
 * else Content-Length, else up to the end. Interim (1xx) answers are skipped.
 * An answer cut short is returned with `complete: false` and ends the list
 * (a head cut short: status 0, its bytes as the body).
 */
export function decodeResponses(bytes: Uint8Array<ArrayBuffer>, methods: string[] = []): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = indexOf(bytes, CRLF2, at);
    if (end < 0) {
      // A head still arriving: its bytes as they are, so that a scan of the bodies misses nothing.
      responses.push({ status: 0, headers: [], body: bytes.slice(at), complete: false });
      break;
    }
    const [statusLine, ...lines] = latin1(bytes.subarray(at, end)).split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
    if (!status) throw new Error(`Not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`);
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    at = end + 4;
    if (status < 200) continue;
    const method = methods[responses.length] ?? "GET";
    const response: RawResponse = { status, headers, body: new Uint8Array(), complete: true };
    responses.push(response);
    const chunked = /\bchunked\b/i.test(header(response, "transfer-encoding") ?? "");
    const length = header(response, "content-length");
    if (method === "HEAD" || status === 204 || status === 304) continue;
    if (chunked) {
      const decoded = dechunk(bytes, at);
      response.body = decoded.body;
      response.complete = decoded.complete;
      at = decoded.end;
    } else if (length !== undefined) {
      const size = Number(length);
      response.body = bytes.slice(at, at + size);
      response.complete = at + size <= bytes.length;
      at += size;
    } else {
      response.body = bytes.slice(at);
      at = bytes.length;
    }
    if (!response.complete) break;
  }
  return responses;
}

const CRLF = new Uint8Array([13, 10]);
const CRLF2 = new Uint8Array([13, 10, 13, 10]);

/** Decodes a chunked body starting at `from`: its bytes, whether it ended, and where the next answer starts. */
function dechunk(
  bytes: Uint8Array<ArrayBuffer>,
  from: number,
): { body: Uint8Array<ArrayBuffer>; complete: boolean; end: number } {
  const parts: Uint8Array[] = [];
  let at = from;
  while (true) {
    const lineEnd = indexOf(bytes, CRLF, at);
    if (lineEnd < 0) return { body: concat(parts), complete: false, end: bytes.length };
    const size = parseInt(latin1(bytes.subarray(at, lineEnd)).split(";")[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`A bad chunk size line at byte ${at}`);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers, then the blank line.
      const trailerEnd = indexOf(bytes, CRLF, at);
      if (trailerEnd < 0) return { body: concat(parts), complete: false, end: bytes.length };
      if (trailerEnd === at) return { body: concat(parts), complete: true, end: at + 2 };
      const blank = indexOf(bytes, CRLF2, at);
      if (blank < 0) return { body: concat(parts), complete: false, end: bytes.length };
      return { body: concat(parts), complete: true, end: blank + 4 };
    }
    parts.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
    if (at + size + 2 > bytes.length) return { body: concat(parts), complete: false, end: bytes.length };
    at += size + 2;
  }
}

function indexOf(bytes: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= bytes.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function latin1(bytes: Uint8Array): string {
  return new TextDecoder("latin1").decode(bytes);
}

/** The chunks one after the other. */
export function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
