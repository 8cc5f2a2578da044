/**
 * HTTP/1.1 heads: response heads (status line and headers) and request heads
 * (request line and headers), checked, and how the
 * body that follows is delimited (RFC 9112 section 6.3).
 *
 * @module
 */

/** Why talking to an upstream failed. */
export type UpstreamErrorKind = "connect" | "reset" | "protocol" | "timeout" | "aborted";

/** A failure to talk to an upstream; `beforeResponse` when no byte of an answer had come. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  readonly beforeResponse: boolean;

  constructor(kind: UpstreamErrorKind, message: string, beforeResponse: boolean, cause?: unknown) {
    super(message, { cause });
    this.name = "UpstreamError";
    this.kind = kind;
    this.beforeResponse = beforeResponse;
  }
}

/** How the response body is delimited; `chunkLeft` is what remains of the current chunk. */
export type Framing =
  | { kind: "none" }
  | { kind: "length"; remaining: number }
  | { kind: "chunked"; chunkLeft?: number }
  | { kind: "close" };

/** A parsed response head. */
export interface Head {
  status: number;
  statusText: string;
  headers: [string, string][];
  framing: Framing;
  keepAlive: boolean;
}

/** What a header value must not hold: a bare line feed or NUL would split or cut it on its way on. */
const BAD_VALUE = /[\0\n\r]/;

/**
 * A NUL, or a CR or LF outside a CRLF pair, anywhere in a head. One test of
 * the whole head (nearly always clean) spares a test of every value; values
 * are tested one by one only in a head it matches, to name the bad one.
 */
const FORBIDDEN = /\0|\r(?!\n)|(?<!\r)\n/;

/** The characters of a header name (RFC 9110 section 5.6.2), by character code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN_CHARS[char.charCodeAt(0)] = 1;
}
const charCodeAt = String.prototype.charCodeAt;

/** Whether `text` is a token (RFC 9110 section 5.6.2); a loop over a table, about 3x a regular expression's speed. */
function isToken(text: string): boolean {
  const length = text.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const code = charCodeAt.call(text, i);
    if (code > 127 || TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;

/**
 * Parses a status line and headers, refusing what is not HTTP (a status out
 * of 100-599, a header name that is not a token, a bad or doubled
 * Content-Length); the framing follows RFC 9112 section 6.3.
 */
export function parseHead(text: string, method: string): Head {
  const suspect = FORBIDDEN.test(text);
  let end = text.indexOf("\r\n");
  if (end < 0) end = text.length;
  const first = text.slice(0, end);
  const statusLine = STATUS_LINE.exec(first);
  if (!statusLine || (suspect && BAD_VALUE.test(statusLine[3] ?? ""))) {
    throw new UpstreamError("protocol", `not an HTTP/1 answer: ${JSON.stringify(first)}`, false);
  }
  const status = Number(statusLine[2]);
  if (status < 100 || status > 599) {
    throw new UpstreamError("protocol", `status ${status} is not an HTTP status`, false);
  }
  const headers: [string, string][] = [];
  let length: number | undefined;
  let chunked = false;
  let connection = "";
  // A line ends with CRLF, or with the head: go on while the last one ended with CRLF.
  for (let at = end + 2; end < text.length; at = end + 2) {
    end = text.indexOf("\r\n", at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", at);
    if (colon <= at || colon > end) {
      throw new UpstreamError("protocol", `bad header line ${JSON.stringify(text.slice(at, end))}`, false);
    }
    const name = text.slice(at, colon);
    if (!isToken(name)) throw new UpstreamError("protocol", `bad header name ${JSON.stringify(name)}`, false);
    const value = text.slice(colon + 1, end).trim();
    if (suspect && BAD_VALUE.test(value)) throw new UpstreamError("protocol", `bad value of header ${name}`, false);
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) {
        throw new UpstreamError("protocol", `bad content-length ${JSON.stringify(value)}`, false);
      }
      length = Number(value);
    } else if (lower === "transfer-encoding") chunked = /(^|,)\s*chunked\s*$/i.test(value);
    else if (lower === "connection") connection = value.toLowerCase();
    headers.push([name, value]);
  }
  const keepAlive = statusLine[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  let framing: Framing;
  if (method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    framing = { kind: "none" };
  } else if (chunked) framing = { kind: "chunked" };
  else if (length !== undefined) {
    framing = { kind: "length", remaining: length };
  } else framing = { kind: "close" };
  return {
    status,
    statusText: statusLine[3] ?? "",
    headers,
    framing,
    keepAlive: keepAlive && framing.kind !== "close",
  };
}

/** A request the listener refuses: answered with `status`, then the connection is closed. */
export class BadRequestError extends Error {
  readonly status: number;

  constructor(message: string, status = 400) {
    super(message);
    this.name = "BadRequestError";
    this.status = status;
  }
}

/** A parsed request head; header names are lowercase. */
export interface RequestHead {
  method: string;
  /** The request target as sent: `/path?query` (or an absolute URL). */
  target: string;
  /** HTTP/1.0 or HTTP/1.1. */
  http10: boolean;
  headers: [string, string][];
  /** How the request body is delimited: `none`, `length` or `chunked`. */
  framing: Framing;
  /** Whether the client keeps the connection open after this request. */
  keepAlive: boolean;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;

/**
 * Parses a request line and headers. Refuses with {@linkcode BadRequestError}
 * what would let two servers disagree on where a request ends (RFC 9112
 * section 6.3): Content-Length beside Transfer-Encoding, a transfer coding
 * that does not end in chunked, a bad or doubled Content-Length.
 */
export function parseRequestHead(text: string): RequestHead {
  const suspect = FORBIDDEN.test(text);
  // A client may send empty lines before a request (RFC 9112 section 2.2).
  let start = 0;
  while (text.startsWith("\r\n", start)) start += 2;
  let end = text.indexOf("\r\n", start);
  if (end < 0) end = text.length;
  const first = text.slice(start, end);
  const requestLine = REQUEST_LINE.exec(first);
  if (!requestLine) throw new BadRequestError(`not an HTTP/1 request line: ${JSON.stringify(first.slice(0, 100))}`);
  const headers: [string, string][] = [];
  let length: number | undefined;
  let coding: string | undefined;
  let connection = "";
  // A line ends with CRLF, or with the head: go on while the last one ended with CRLF.
  for (let at = end + 2; end < text.length; at = end + 2) {
    end = text.indexOf("\r\n", at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", at);
    const name = colon > at && colon < end ? text.slice(at, colon).toLowerCase() : "";
    if (!isToken(name)) {
      throw new BadRequestError(`bad header line ${JSON.stringify(text.slice(at, Math.min(end, at + 100)))}`);
    }
    const value = text.slice(colon + 1, end).trim();
    if (suspect && BAD_VALUE.test(value)) throw new BadRequestError(`bad value of header ${name}`);
    if (name === "content-length") {
      if (!/^\d{1,15}$/.test(value) || (length !== undefined && length !== Number(value))) {
        throw new BadRequestError(`bad content-length ${JSON.stringify(value)}`);
      }
      length = Number(value);
    } else if (name === "transfer-encoding") coding = coding === undefined ? value : `${coding}, ${value}`;
    else if (name === "connection") connection = value.toLowerCase();
    headers.push([name, value]);
  }
  if (coding !== undefined && length !== undefined) {
    throw new BadRequestError("a request cannot have both Content-Length and Transfer-Encoding");
  }
  if (coding !== undefined && !/(^|,)\s*chunked\s*$/i.test(coding)) {
    throw new BadRequestError(`unsupported transfer-encoding ${JSON.stringify(coding)}`, 501);
  }
  const http10 = requestLine[3] === "0";
  const framing: Framing = coding !== undefined
    ? { kind: "chunked" }
    : length
    ? { kind: "length", remaining: length }
    : { kind: "none" };
  let target = requestLine[2]!;
  // The absolute form (sent to proxies): only the path and query matter here.
  if (/^https?:\/\//i.test(target)) {
    const slash = target.indexOf("/", target.indexOf("//") + 2);
    target = slash < 0 ? "/" : target.slice(slash);
  }
  return {
    method: requestLine[1]!,
    target,
    http10,
    headers,
    framing,
    keepAlive: http10 ? connection.includes("keep-alive") : !connection.includes("close"),
  };
}
