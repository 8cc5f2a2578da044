/**
 * Test peers that speak HTTP/1.1 by hand, independent of `http1/`'s parsers,
 * so that a bug there cannot hide itself: a backend that records every byte
 * it receives and answers by a script, and a client that sends raw bytes and
 * splits what comes back into answers. Used by the corpus tests.
 *
 * @module
 */

const latin1 = (bytes: Uint8Array): string => {
  let text = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    text += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return text;
};

/** Text whose characters are bytes (0-255) as bytes. */
export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/** A piece of a scripted answer: bytes to write, a pause, or the end of the connection. */
export type AnswerPiece = string | { waitMs: number } | { close: true };

/** One request the backend read in full: its head and its body as sent (still framed). */
export interface SeenRequest {
  /** Which of the backend's connections it came on (0, 1, ...). */
  connection: number;
  head: string;
  body: string;
}

/**
 * A raw TCP backend: records every byte per connection, cuts requests by
 * Content-Length or chunked framing (as the proxy sends them), and answers
 * each with `script(request)`; an empty script never answers.
 */
export class RawBackend {
  readonly port: number;
  /** Everything received, per connection, as Latin-1 text. */
  readonly received: string[] = [];
  /** The requests read in full. */
  readonly requests: SeenRequest[] = [];
  #listener: Deno.TcpListener;
  #conns = new Set<Deno.TcpConn>();
  #script: (request: SeenRequest) => AnswerPiece[];

  constructor(script: (request: SeenRequest) => AnswerPiece[]) {
    this.#script = script;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#serve(conn, this.received.push("") - 1);
    } catch {
      // Closed.
    }
  }

  async #serve(conn: Deno.TcpConn, index: number): Promise<void> {
    this.#conns.add(conn);
    const buffer = new Uint8Array(65536);
    let pending = "";
    try {
      while (true) {
        const read = await conn.read(buffer);
        if (read === null) break;
        const text = latin1(buffer.subarray(0, read));
        this.received[index] += text;
        pending += text;
        while (true) {
          const request = cutRequest(pending);
          if (!request) break;
          pending = pending.slice(request.length);
          const seen = { connection: index, head: request.head, body: request.body };
          this.requests.push(seen);
          for (const piece of this.#script(seen)) {
            if (typeof piece === "string") await conn.write(bytesOf(piece));
            else if ("close" in piece) throw new Error("closed by the script");
            else await new Promise((resolve) => setTimeout(resolve, piece.waitMs));
          }
        }
      }
    } catch {
      // The proxy closed the connection.
    }
    this.#conns.delete(conn);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Stops listening and closes every connection. */
  close(): void {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }
}

/** The first whole request in `text` (head, body as framed, length taken), or null. */
function cutRequest(text: string): { head: string; body: string; length: number } | null {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const head = text.slice(0, end + 4);
  const rest = text.slice(end + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length) {
    const size = Number(length[1]);
    return rest.length < size ? null : { head, body: rest.slice(0, size), length: head.length + size };
  }
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    // The proxy sends plain chunks (no extensions, no trailers): SIZE CRLF DATA CRLF ... 0 CRLF CRLF.
    let at = 0;
    while (true) {
      const lineEnd = rest.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = parseInt(rest.slice(at, lineEnd), 16);
      if (size === 0) {
        if (rest.length < lineEnd + 4) return null;
        at = lineEnd + 4;
        break;
      }
      at = lineEnd + 2 + size + 2;
      if (rest.length < at) return null;
    }
    return { head, body: rest.slice(0, at), length: head.length + at };
  }
  return { head, body: "", length: head.length };
}

/** One answer as the client got it. */
export interface RawAnswer {
  status: number;
  /** Header lines, names in lowercase: `name: value`. */
  headers: string[];
  body: string;
  /** Whether it ended where its framing says (false: cut by a close). */
  complete: boolean;
}

/** What a raw client got: the answers, whether the server closed, and when. */
export interface Exchange {
  answers: RawAnswer[];
  /** The server closed the connection (before the client gave up). */
  closed: boolean;
  /** Milliseconds from sending to the close or to the last answer. */
  elapsedMs: number;
  raw: string;
}

/**
 * Sends `text` on a new connection and reads answers until the server
 * closes, `answers` complete answers came (then waits `settleMs` more for a
 * close), or `timeoutMs` passed. `methods` tells which answers are to HEAD.
 */
export async function rawExchange(
  port: number,
  text: string,
  options: { answers?: number; timeoutMs?: number; settleMs?: number; head?: boolean } = {},
): Promise<Exchange> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const start = performance.now();
  let raw = "";
  let closed = false;
  let elapsedMs = 0;
  const timer = setTimeout(() => conn.close(), options.timeoutMs ?? 3000);
  try {
    await conn.write(bytesOf(text));
    const buffer = new Uint8Array(65536);
    let settle: ReturnType<typeof setTimeout> | undefined;
    while (true) {
      const read = await conn.read(buffer);
      if (read === null) {
        closed = true;
        elapsedMs = performance.now() - start;
        break;
      }
      raw += latin1(buffer.subarray(0, read));
      const parsed = splitAnswers(raw, options.head ?? false);
      if (options.answers !== undefined && parsed.filter((a) => a.complete).length >= options.answers) {
        elapsedMs = performance.now() - start;
        if (settle === undefined) {
          settle = setTimeout(() => conn.close(), options.settleMs ?? 50);
        }
      }
    }
    if (settle !== undefined) clearTimeout(settle);
  } catch {
    // Closed by a timer: the server did not close.
    if (!elapsedMs) elapsedMs = performance.now() - start;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
  return { answers: splitAnswers(raw, options.head ?? false), closed, elapsedMs, raw };
}

/** Splits a byte stream into answers (bodies by Content-Length, chunked, or the close). */
export function splitAnswers(raw: string, head: boolean): RawAnswer[] {
  const answers: RawAnswer[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf("\r\n\r\n", at);
    if (end < 0) {
      answers.push({ status: 0, headers: [], body: raw.slice(at), complete: false });
      break;
    }
    const lines = raw.slice(at, end).split("\r\n");
    const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(lines[0]!)?.[1] ?? 0);
    const headers = lines.slice(1).map((line) => {
      const colon = line.indexOf(":");
      return `${line.slice(0, colon).toLowerCase()}: ${line.slice(colon + 1).trim()}`;
    });
    at = end + 4;
    const length = headers.find((line) => line.startsWith("content-length: "));
    if (head || status < 200 || status === 204 || status === 304) {
      answers.push({ status, headers, body: "", complete: true });
    } else if (headers.some((line) => line === "transfer-encoding: chunked")) {
      let body = "";
      let complete = false;
      while (true) {
        const lineEnd = raw.indexOf("\r\n", at);
        if (lineEnd < 0) break;
        const size = parseInt(raw.slice(at, lineEnd), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          const trailerEnd = raw.indexOf("\r\n\r\n", lineEnd);
          if (raw.startsWith("\r\n", lineEnd + 2)) at = lineEnd + 4;
          else if (trailerEnd >= 0) at = trailerEnd + 4;
          else break;
          complete = true;
          break;
        }
        if (raw.length < lineEnd + 2 + size + 2) break;
        body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
      answers.push({ status, headers, body, complete });
      if (!complete) break;
    } else if (length) {
      const size = Number(length.slice("content-length: ".length));
      const body = raw.slice(at, at + size);
      answers.push({ status, headers, body, complete: body.length === size });
      at += size;
    } else {
      answers.push({ status, headers, body: raw.slice(at), complete: true });
      break;
    }
  }
  return answers;
}
