/**
 * HTTP/1.1 response heads: the status line and headers, checked, and how the
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

/** The characters of a header name (RFC 9110 section 5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a status line and headers, refusing what is not HTTP (a status out
 * of 100-599, a header name that is not a token, a bad or doubled
 * Content-Length); the framing follows RFC 9112 section 6.3.
 */
export function parseHead(text: string, method: string): Head {
  const lines = text.split("\r\n");
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!statusLine) throw new UpstreamError("protocol", `not an HTTP/1 answer: ${JSON.stringify(lines[0])}`, false);
  const status = Number(statusLine[2]);
  if (status < 100 || status > 599) {
    throw new UpstreamError("protocol", `status ${status} is not an HTTP status`, false);
  }
  const headers: [string, string][] = [];
  let length: number | undefined;
  let chunked = false;
  let connection = "";
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new UpstreamError("protocol", `bad header line ${JSON.stringify(line)}`, false);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new UpstreamError("protocol", `bad header name ${JSON.stringify(name)}`, false);
    const value = line.slice(colon + 1).trim();
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
