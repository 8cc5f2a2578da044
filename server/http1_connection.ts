/**
 * One HTTP/1.1 connection to an upstream: writes a request (its body streamed,
 * chunked when its length is unknown), reads the response head, and reads the
 * body by Content-Length, chunked encoding or until close. The pool reuses the
 * connection once a response has been read to its end.
 *
 * @module
 */
import { type Framing, type Head, parseHead, UpstreamError, type UpstreamErrorKind } from "./http1_head.ts";
import type { UpstreamRequest, UpstreamResponse } from "./http1_pool.ts";

export { UpstreamError };

/** Bodies up to this size are read whole and handed over as bytes, not as a stream. */
const SMALL_BODY = 64 * 1024;
const CRLF = new Uint8Array([13, 10]);
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** One keep-alive connection to an upstream. */
export class Http1Connection {
  /** When it was last returned to the pool. */
  idleSince = 0;
  #conn: Deno.TcpConn;
  #buf: Uint8Array<ArrayBuffer> = new Uint8Array(16 * 1024);
  #start = 0;
  #end = 0;
  #closed = false;
  #closeReason: UpstreamErrorKind | undefined;
  #received = 0;
  #headWritten = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects, or fails with a `connect` {@linkcode UpstreamError}. */
  static async open(hostname: string, port: number): Promise<Http1Connection> {
    try {
      const conn = await Deno.connect({ hostname, port });
      conn.setNoDelay(true);
      return new Http1Connection(conn);
    } catch (error) {
      throw new UpstreamError(
        "connect",
        `cannot connect to ${hostname}:${port}: ${(error as Error).message}`,
        true,
        error,
      );
    }
  }

  /** Closes the connection; pending reads and writes fail. */
  close(reason?: UpstreamErrorKind): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Whether the last request's head was written in full (a failure after it may have reached the upstream). */
  get headWritten(): boolean {
    return this.#headWritten;
  }

  /**
   * Sends `request` and resolves with the response head; `release` is told
   * once the connection is done with, and whether it can be reused (the body
   * was read to its end and both sides keep the connection alive).
   */
  async send(
    request: UpstreamRequest,
    host: string,
    release: (connection: Http1Connection, reusable: boolean) => void,
  ): Promise<UpstreamResponse> {
    this.#received = 0;
    this.#headWritten = false;
    const onAbort = () => this.close("aborted");
    request.signal?.addEventListener("abort", onAbort, { once: true });
    // The timeout counts from the end of the request: an upload takes what it takes.
    let answered = false;
    const startTimer = () => {
      if (request.headTimeoutMs && !answered) deadlines.watch(this, Date.now() + request.headTimeoutMs);
    };
    const cleanup = () => {
      deadlines.unwatch(this);
      request.signal?.removeEventListener("abort", onAbort);
    };
    try {
      if (request.signal?.aborted) throw new UpstreamError("aborted", "the client went away", true);
      let length: string | undefined;
      let head = `${request.method} ${request.target} HTTP/1.1\r\nhost: ${host}\r\n`;
      for (const [name, value] of request.headers) {
        const lower = name.toLowerCase();
        if (lower === "host" || lower === "transfer-encoding") continue;
        if (lower === "content-length") length = value;
        else head += `${name}: ${value}\r\n`;
      }
      const chunked = request.body !== null && length === undefined;
      if (request.body !== null) head += chunked ? "transfer-encoding: chunked\r\n" : `content-length: ${length}\r\n`;
      await this.#write(encoder.encode(`${head}\r\n`));
      this.#headWritten = true;
      let bodySent = request.body === null;
      if (bodySent) startTimer();
      const writing = request.body
        ? this.#writeBody(request.body, chunked).then(() => {
          bodySent = true;
          startTimer();
        })
        : undefined;
      writing?.catch(() => this.close());

      const response = await this.#readHead(request.method);
      answered = true;
      deadlines.unwatch(this);
      const finish = (reusable: boolean) => {
        cleanup();
        const keep = reusable && response.keepAlive && bodySent && !this.#closed;
        if (!keep) this.close();
        release(this, keep);
      };
      return this.#withBody(response, finish);
    } catch (error) {
      cleanup();
      this.close();
      release(this, false);
      throw this.#upstreamError(error);
    }
  }

  async #readHead(method: string): Promise<Head> {
    while (true) {
      let end = this.#find(CRLF_CRLF);
      while (end < 0) {
        if (this.#end - this.#start > 64 * 1024) throw new UpstreamError("protocol", "response head too large", false);
        if (!await this.#fill()) {
          throw new UpstreamError("reset", "the connection closed before an answer", this.#received === 0);
        }
        end = this.#find(CRLF_CRLF);
      }
      const text = latin1.decode(this.#buf.subarray(this.#start, end));
      this.#start = end + 4;
      const head = parseHead(text, method);
      if (head.status === 101) throw new UpstreamError("protocol", "an unrequested 101 Switching Protocols", false);
      // 100 Continue and 103 Early Hints precede the real answer.
      if (head.status < 200) continue;
      return head;
    }
  }

  async #withBody(head: Head, finish: (reusable: boolean) => void): Promise<UpstreamResponse> {
    const { status, statusText, headers } = head;
    const { promise: done, resolve } = Promise.withResolvers<void>();
    const end = (reusable: boolean) => {
      finish(reusable);
      resolve();
    };
    const framing = head.framing;
    if (framing.kind === "none" || (framing.kind === "length" && framing.remaining === 0)) {
      end(true);
      return { status, statusText, headers, body: null, done };
    }
    if (framing.kind === "length" && framing.remaining <= SMALL_BODY) {
      while (this.#end - this.#start < framing.remaining) {
        if (!await this.#fill()) {
          throw new UpstreamError("reset", "the connection closed in the middle of an answer", false);
        }
      }
      const body = this.#take(framing.remaining);
      end(true);
      return { status, statusText, headers, body, done };
    }
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        try {
          const chunk = await this.#readBody(framing);
          if (chunk) controller.enqueue(chunk);
          else {
            controller.close();
            end(framing.kind !== "close");
          }
        } catch (error) {
          end(false);
          const failure = this.#upstreamError(error);
          // The client went away: nobody reads on, and it is no error worth a log line.
          if (failure.kind === "aborted") controller.close();
          else controller.error(failure);
        }
      },
      cancel: () => end(false),
    }, { highWaterMark: 0 });
    return { status, statusText, headers, body, done };
  }

  /** The next piece of the body, or null at its end. */
  async #readBody(framing: Framing): Promise<Uint8Array<ArrayBuffer> | null> {
    if (framing.kind === "length") {
      if (framing.remaining === 0) return null;
      const chunk = this.#start < this.#end
        ? this.#take(Math.min(framing.remaining, this.#end - this.#start))
        : await this.#readDirect(framing.remaining);
      if (!chunk) throw new UpstreamError("reset", "the connection closed in the middle of an answer", false);
      framing.remaining -= chunk.length;
      return chunk;
    }
    if (framing.kind === "close") {
      return this.#start < this.#end ? this.#take(this.#end - this.#start) : await this.#readDirect(Infinity);
    }
    if (framing.kind !== "chunked") return null;
    // Chunked: "SIZE[;ext]\r\nDATA\r\n" ... "0\r\n[trailers]\r\n".
    const state = framing;
    if (!state.chunkLeft) {
      const line = await this.#readLine();
      if (!/^[0-9a-f]{1,15}(;.*)?$/i.test(line)) {
        throw new UpstreamError("protocol", `bad chunk size ${JSON.stringify(line)}`, false);
      }
      const size = parseInt(line, 16);
      if (size === 0) {
        while ((await this.#readLine()) !== "") {
          // Trailers are dropped.
        }
        return null;
      }
      state.chunkLeft = size;
    }
    if (this.#start === this.#end && !await this.#fill()) {
      throw new UpstreamError("reset", "the connection closed in the middle of a chunk", false);
    }
    const chunk = this.#take(Math.min(state.chunkLeft, this.#end - this.#start));
    state.chunkLeft -= chunk.length;
    if (state.chunkLeft === 0 && (await this.#readLine()) !== "") {
      throw new UpstreamError("protocol", "a chunk does not end with CRLF", false);
    }
    return chunk;
  }

  async #writeBody(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    for await (const chunk of body) {
      if (chunk.length === 0) continue;
      if (!chunked) {
        await this.#write(chunk);
        continue;
      }
      const size = encoder.encode(`${chunk.length.toString(16)}\r\n`);
      const framed = new Uint8Array(size.length + chunk.length + 2);
      framed.set(size);
      framed.set(chunk, size.length);
      framed.set(CRLF, size.length + chunk.length);
      await this.#write(framed);
    }
    if (chunked) await this.#write(LAST_CHUNK);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    for (let written = 0; written < bytes.length;) written += await this.#conn.write(bytes.subarray(written));
  }

  /** Reads more into the buffer; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    const read = await this.#conn.read(this.#buf.subarray(this.#end));
    if (read === null) return false;
    this.#end += read;
    this.#received += read;
    return true;
  }

  /** Reads up to `max` bytes (at most 64 KiB) straight into a new array, bypassing the buffer; null at the end. */
  async #readDirect(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const chunk = new Uint8Array(Math.min(max, 64 * 1024));
    const read = await this.#conn.read(chunk);
    if (read === null) return null;
    this.#received += read;
    return chunk.subarray(0, read);
  }

  async #readLine(): Promise<string> {
    let at = this.#find(CRLF);
    while (at < 0) {
      if (!await this.#fill()) {
        throw new UpstreamError("reset", "the connection closed in the middle of an answer", false);
      }
      at = this.#find(CRLF);
    }
    const line = latin1.decode(this.#buf.subarray(this.#start, at));
    this.#start = at + 2;
    return line;
  }

  #find(pattern: Uint8Array): number {
    const buf = this.#buf;
    outer: for (let i = this.#start; i <= this.#end - pattern.length; i++) {
      for (let j = 0; j < pattern.length; j++) if (buf[i + j] !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }

  #take(count: number): Uint8Array<ArrayBuffer> {
    const chunk = this.#buf.slice(this.#start, this.#start + count);
    this.#start += count;
    return chunk;
  }

  #upstreamError(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) {
      if (this.#closeReason && error.kind === "reset") {
        return new UpstreamError(this.#closeReason, describe(this.#closeReason), error.beforeResponse, error);
      }
      return error;
    }
    const kind = this.#closeReason ?? "reset";
    return new UpstreamError(
      kind,
      this.#closeReason ? describe(kind) : (error as Error).message,
      this.#received === 0,
      error,
    );
  }
}

const CRLF_CRLF = new Uint8Array([13, 10, 13, 10]);

/**
 * Connections waiting for an answer head, with their deadlines, checked ten
 * times a second: one timer for all of them instead of one per request.
 */
class Deadlines {
  #waiting = new Map<Http1Connection, number>();
  #sweeper: ReturnType<typeof setInterval> | undefined;

  watch(connection: Http1Connection, deadline: number): void {
    this.#waiting.set(connection, deadline);
    this.#sweeper ??= setInterval(() => this.#sweep(), 100);
  }

  unwatch(connection: Http1Connection): void {
    if (!this.#waiting.delete(connection) || this.#waiting.size > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [connection, deadline] of this.#waiting) {
      if (deadline > now) continue;
      this.unwatch(connection);
      connection.close("timeout");
    }
  }
}

const deadlines = new Deadlines();

function describe(kind: UpstreamErrorKind): string {
  return kind === "timeout" ? "timed out" : kind === "aborted" ? "the client went away" : "the connection broke";
}
