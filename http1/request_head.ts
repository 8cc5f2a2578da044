/**
 * HTTP/1.1 request heads (request line and headers) as the listener reads
 * them: what RFC 9112 says a server MUST refuse is refused with 400 (as nginx
 * and Caddy do), the rest is handed on with one framing that no other reader
 * could take differently.
 *
 * @module
 */
import {
  BAD_VALUE,
  BadRequestError,
  charCodeAt,
  DIGITS,
  fieldValue,
  FORBIDDEN,
  type Framing,
  isChunked,
  isToken,
  partialHeadFault,
} from "./head.ts";

/** A parsed request head; header names are lowercase. */
export interface RequestHead {
  method: string;
  /** The request target: `/path?query` (an absolute-form target reduced to its path and query). */
  target: string;
  /** HTTP/1.0 (else 1.1: a higher 1.x minor version is read as 1.1, RFC 9110 section 2.5). */
  http10: boolean;
  headers: [string, string][];
  /** How the request body is delimited: `none`, `length` or `chunked`. */
  framing: Framing;
  /** Whether the client keeps the connection open after this request. */
  keepAlive: boolean;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/;

/**
 * A Host value (RFC 9110 section 7.2): an IP literal or a reg-name / IPv4
 * address (RFC 3986 section 3.2.2), then an optional port of digits. Empty is
 * valid: a client sends it when the target has no authority.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

const ABSOLUTE_FORM = /^https?:\/\//i;

/** The request line's parts: method, target, HTTP/1.0 or not; refuses with 400, or 505 for another major version. */
function requestLine(line: string): RegExpExecArray {
  const parts = REQUEST_LINE.exec(line);
  if (!parts) throw new BadRequestError(`not an HTTP/1 request line: ${JSON.stringify(line.slice(0, 100))}`);
  if (parts[3] !== "1") throw new BadRequestError(`HTTP/${parts[3]}.${parts[4]} is not supported`, 505);
  return parts;
}

/**
 * Checks a request head while it is incomplete: refuses at once, rather than
 * after the idle timeout, what can never become a valid head (a bare LF or
 * CR; a first line that is complete but no HTTP/1.x request line, such as
 * HTTP/0.9's `GET /`).
 */
export function checkPartialRequestHead(text: string): void {
  const fault = partialHeadFault(text);
  if (fault) throw new BadRequestError(fault);
  let start = 0;
  while (text.startsWith("\r\n", start)) start += 2;
  const end = text.indexOf("\r\n", start);
  if (end >= 0) requestLine(text.slice(start, end));
}

/**
 * Parses a request line and headers. Refuses with {@linkcode BadRequestError}
 * what RFC 9112 says a server MUST refuse and whatever two servers could
 * frame differently (section 6.3): no Host in HTTP/1.1, more than one Host or
 * an invalid one, control bytes anywhere (the target included), Content-Length
 * beside Transfer-Encoding, a bad or differing Content-Length, more than one
 * Transfer-Encoding line, Transfer-Encoding in HTTP/1.0; a transfer coding
 * other than `chunked` gets 501, another major version 505. `suspect`:
 * whether the text holds what `FORBIDDEN` (head.ts) matches, when the reader
 * has already found out (its `headSuspect`).
 */
export function parseRequestHead(text: string, suspect: boolean = FORBIDDEN.test(text)): RequestHead {
  // A client may send empty lines before a request (RFC 9112 section 2.2).
  let start = 0;
  while (text.startsWith("\r\n", start)) start += 2;
  let end = text.indexOf("\r\n", start);
  if (end < 0) end = text.length;
  const parts = requestLine(text.slice(start, end));
  const method = parts[1]!;
  let target = parts[2]!;
  if (suspect && BAD_VALUE.test(target)) throw new BadRequestError("the request target holds a control byte");
  const http10 = parts[4] === "0";
  const headers: [string, string][] = [];
  let length: number | undefined;
  let codings = 0;
  let coding = "";
  let hosts = 0;
  let host = "";
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
    let value = fieldValue(text, colon + 1, end);
    if (suspect && BAD_VALUE.test(value)) throw new BadRequestError(`bad value of header ${name}`);
    if (name === "host") {
      hosts++;
      host = value;
    } else if (name === "content-length") {
      if (!DIGITS.test(value) || (length !== undefined && length !== Number(value))) {
        throw new BadRequestError(`bad content-length ${JSON.stringify(value)}`);
      }
      length = Number(value);
      // Passed on as the number it is: `010` is ten, whatever a next reader thinks of a leading zero.
      if (charCodeAt.call(value, 0) === 48 && value.length > 1) value = String(length);
    } else if (name === "transfer-encoding") {
      codings++;
      coding = value;
    } else if (name === "connection") {
      connection = connection ? `${connection},${value.toLowerCase()}` : value.toLowerCase();
    }
    headers.push([name, value]);
  }
  if (suspect) throw new BadRequestError("the request head holds a control byte");
  if (hosts > 1) throw new BadRequestError("a request cannot have more than one Host header");
  if (hosts === 0 && !http10) throw new BadRequestError("an HTTP/1.1 request must have a Host header");
  if (!HOST.test(host)) throw new BadRequestError(`bad host ${JSON.stringify(host.slice(0, 100))}`);
  if (codings > 0) {
    if (http10) throw new BadRequestError("an HTTP/1.0 request cannot have a Transfer-Encoding");
    if (length !== undefined) {
      throw new BadRequestError("a request cannot have both Content-Length and Transfer-Encoding");
    }
    if (codings > 1) throw new BadRequestError("a request cannot have more than one Transfer-Encoding header");
    if (!isChunked(coding)) throw new BadRequestError(`unsupported transfer-encoding ${JSON.stringify(coding)}`, 501);
  }
  const framing: Framing = codings > 0
    ? { kind: "chunked" }
    : length
    ? { kind: "length", remaining: length }
    : { kind: "none" };
  if (charCodeAt.call(target, 0) !== 47) target = otherForm(method, target, headers);
  return {
    method,
    target,
    http10,
    headers,
    framing,
    keepAlive: http10 ? connection.includes("keep-alive") : !connection.includes("close"),
  };
}

/**
 * A target that is not a path (RFC 9112 section 3.2): the absolute form
 * becomes its path and query, its authority replacing Host (which a server
 * MUST then ignore); `*` is for OPTIONS only; the rest (the authority form of
 * CONNECT, or nonsense) is refused.
 */
function otherForm(method: string, target: string, headers: [string, string][]): string {
  if (target === "*" && method === "OPTIONS") return target;
  if (!ABSOLUTE_FORM.test(target)) {
    throw new BadRequestError(`bad request target ${JSON.stringify(target.slice(0, 100))}`);
  }
  const from = target.indexOf("//") + 2;
  let end = from;
  while (end < target.length && target[end] !== "/" && target[end] !== "?" && target[end] !== "#") end++;
  const authority = target.slice(from, end);
  if (!HOST.test(authority)) {
    throw new BadRequestError(`bad host in the request target ${JSON.stringify(authority.slice(0, 100))}`);
  }
  const host = headers.findIndex(([name]) => name === "host");
  if (host >= 0) headers[host] = ["host", authority];
  else headers.push(["host", authority]);
  const rest = target.slice(end);
  return rest.startsWith("/") ? rest : `/${rest}`;
}
