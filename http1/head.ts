/**
 * HTTP/1.1 response heads (status line and headers), checked, and how the
 * body that follows is delimited (RFC 9112 section 6.3); the errors and the
 * field-line helpers that request heads (request_head.ts) share.
 *
 * What is refused and why: a proxy that reads a message's framing one way
 * while the next hop reads it another lets one party's bytes become another
 * party's message (request smuggling, response queue poisoning). So every
 * value that decides framing is read exactly as RFC 9112 says, and anything
 * that another reader could take differently is refused, not repaired.
 *
 * @module
 */

/** Why talking to an upstream failed. */
export type UpstreamErrorKind = "connect" | "reset" | "protocol" | "timeout" | "aborted";

/**
 * A failure to talk to an upstream; `beforeResponse` when no byte of an
 * answer had come. Its message never quotes the upstream's bytes: it may end
 * up in an answer to a client.
 */
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

/** A head larger than the reader allows: the listener answers 431. */
export class HeadTooLargeError extends UpstreamError {
  constructor() {
    super("protocol", "head too large", false);
    this.name = "HeadTooLargeError";
  }
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

/**
 * A byte that is neither field content nor OWS (RFC 9110 section 5.5): NUL,
 * CR, LF and the other controls and DEL. HTAB is allowed inside a value.
 */
// deno-lint-ignore no-control-regex -- control bytes are what it looks for
export const BAD_VALUE = /[\0-\x08\x0a-\x1f\x7f]/;

/**
 * A control byte (other than HTAB) or DEL, or a CR or LF outside a CRLF pair,
 * anywhere in a head. One test of the whole head (nearly always clean)
 * spares a test of every value; values are tested one by one only in a head
 * it matches, to name the bad one.
 */
// deno-lint-ignore no-control-regex -- control bytes are what it looks for
export const FORBIDDEN = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;

/** In a head not yet complete: a CR not followed by LF (unless last so far), or an LF without its CR. */
const BARE_LINE_END = /\r(?!\n|$)|(?<!\r)\n/;

/** The characters of a token (RFC 9110 section 5.6.2), by character code. */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN_CHARS[char.charCodeAt(0)] = 1;
}
/** Called on each text rather than looked up on it: texts of many shapes made `text.charCodeAt` megamorphic. */
export const charCodeAt = String.prototype.charCodeAt;

/** Whether `text` is a token (RFC 9110 section 5.6.2); a loop over a table, about 3x a regular expression's speed. */
export function isToken(text: string): boolean {
  const length = text.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const code = charCodeAt.call(text, i);
    if (code > 127 || TOKEN_CHARS[code] === 0) return false;
  }
  return true;
}

/**
 * The value of a field line, `text[from, end)`, without the SP and HTAB
 * around it (RFC 9110 section 5.6.3, OWS). Not `String.prototype.trim`,
 * which also strips VT, FF, NBSP (0xA0) and more: a `Content-Length: \v5`
 * would read as 5 here and as something else elsewhere.
 */
export function fieldValue(text: string, from: number, end: number): string {
  let start = from;
  while (start < end) {
    const code = charCodeAt.call(text, start);
    if (code !== 32 && code !== 9) break;
    start++;
  }
  let stop = end;
  while (stop > start) {
    const code = charCodeAt.call(text, stop - 1);
    if (code !== 32 && code !== 9) break;
    stop--;
  }
  return text.slice(start, stop);
}

/**
 * The elements of a comma-separated header value (RFC 9110 section 5.6.1),
 * lowercase, without the OWS around them, empty ones left out: the tokens of
 * a Connection header.
 */
export function listElements(value: string): string[] {
  const elements: string[] = [];
  for (let at = 0; at <= value.length;) {
    let end = value.indexOf(",", at);
    if (end < 0) end = value.length;
    const element = fieldValue(value, at, end);
    if (element) elements.push(element.toLowerCase());
    at = end + 1;
  }
  return elements;
}

/** A Content-Length value: 1*DIGIT (RFC 9110 section 8.6); 15 digits at most, to stay an exact number. */
export const DIGITS = /^\d{1,15}$/;

/**
 * Whether a Transfer-Encoding value is exactly `chunked` (any case). Other
 * codings are refused, as nginx and Go do: the proxy frames bodies itself and
 * could not pass another coding on faithfully, and a list (`,chunked`,
 * `chunked, chunked`) is where readers disagree.
 */
export function isChunked(value: string): boolean {
  return value.length === 7 && value.toLowerCase() === "chunked";
}

/**
 * Why a head not yet complete can never become valid (a bare LF or CR among
 * its bytes so far), or undefined: the reader asks while it waits for more,
 * so that such a head is refused at once rather than when a timeout ends the
 * wait.
 */
export function partialHeadFault(text: string): string | undefined {
  return BARE_LINE_END.test(text) ? "a line of the head ends with a bare CR or LF, not CRLF" : undefined;
}

const STATUS_LINE = /^HTTP\/1\.(\d) (\d{3})(?: (.*))?$/;

/**
 * Checks an answer's head while it is incomplete (see
 * {@linkcode partialHeadFault}): fails with a `protocol`
 * {@linkcode UpstreamError} at once when it cannot become valid.
 */
export function checkPartialResponseHead(text: string): void {
  const fault = partialHeadFault(text);
  const lineEnd = text.indexOf("\r\n");
  if (fault || (lineEnd >= 0 && !STATUS_LINE.test(text.slice(0, lineEnd)))) {
    throw new UpstreamError("protocol", fault ?? "the answer's status line is not HTTP/1.x", false);
  }
}

/**
 * Parses a status line and headers, refusing what is not HTTP or could be
 * framed two ways: a status out of 100-599, a header name that is not a
 * token, control bytes, a bad or differing Content-Length, a transfer coding
 * other than one `chunked`. The framing follows RFC 9112 section 6.3; with
 * both Transfer-Encoding and Content-Length, the latter is removed (as an
 * intermediary MUST) and the connection is not reused. Content-Length is
 * also removed from 1xx and 204 answers (RFC 9110 section 8.6). `suspect`:
 * whether the text holds what `FORBIDDEN` matches, when the reader has
 * already found out (its `headSuspect`).
 */
export function parseHead(text: string, method: string, suspect: boolean = FORBIDDEN.test(text)): Head {
  let end = text.indexOf("\r\n");
  if (end < 0) end = text.length;
  const statusLine = STATUS_LINE.exec(text.slice(0, end));
  if (!statusLine || (suspect && BAD_VALUE.test(statusLine[3] ?? ""))) {
    throw new UpstreamError("protocol", "the answer's status line is not HTTP/1.x", false);
  }
  const status = Number(statusLine[2]);
  if (status < 100 || status > 599) {
    throw new UpstreamError("protocol", `status ${status} is not an HTTP status`, false);
  }
  let headers: [string, string][] = [];
  let length: number | undefined;
  let codings = 0;
  let connection = "";
  // A line ends with CRLF, or with the head: go on while the last one ended with CRLF.
  for (let at = end + 2, line = 1; end < text.length; at = end + 2, line++) {
    end = text.indexOf("\r\n", at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", at);
    if (colon <= at || colon > end) throw new UpstreamError("protocol", `header line ${line} has no name`, false);
    const name = text.slice(at, colon);
    if (!isToken(name)) throw new UpstreamError("protocol", `header line ${line} has a bad name`, false);
    const value = fieldValue(text, colon + 1, end);
    if (suspect && BAD_VALUE.test(value)) throw new UpstreamError("protocol", `bad value of header ${name}`, false);
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (!DIGITS.test(value) || (length !== undefined && length !== Number(value))) {
        throw new UpstreamError("protocol", "bad or differing content-length", false);
      }
      length = Number(value);
    } else if (lower === "transfer-encoding") {
      if (++codings > 1 || !isChunked(value)) {
        throw new UpstreamError("protocol", "a transfer coding other than one chunked", false);
      }
    } else if (lower === "connection") {
      connection = connection ? `${connection},${value.toLowerCase()}` : value.toLowerCase();
    }
    headers.push([name, value]);
  }
  if (suspect) throw new UpstreamError("protocol", "the answer's head holds a control byte", false);
  let keepAlive = statusLine[1] === "0" ? connection.includes("keep-alive") : !connection.includes("close");
  const informational = status < 200;
  if (length !== undefined && (codings > 0 || informational || status === 204)) {
    headers = headers.filter(([name]) => name.toLowerCase() !== "content-length");
    // Both framings at once "ought to be handled as an error" (RFC 9112 section 6.3): never reuse that connection.
    if (codings > 0) keepAlive = false;
  }
  let framing: Framing;
  if (method === "HEAD" || status === 204 || status === 304 || informational) framing = { kind: "none" };
  else if (codings > 0) framing = { kind: "chunked" };
  else if (length !== undefined) framing = { kind: "length", remaining: length };
  else framing = { kind: "close" };
  return {
    status,
    statusText: statusLine[3] ?? "",
    headers,
    framing,
    keepAlive: keepAlive && framing.kind !== "close",
  };
}
