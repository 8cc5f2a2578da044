/**
 * One HTTP/1.1 connection to an upstream: writes a request (its body streamed,
 * chunked when its length is unknown), reads the response head, and reads the
 * body by Content-Length, chunked encoding or until close.
 *
 * The pool reuses the connection only when its answer ended exactly where its
 * framing says and nothing else came: bytes already read past the end, or
 * arriving while it waits in the pool (a read is kept pending on an idle
 * connection, as nginx watches its idle upstream connections), close it. A
 * funko that writes more than it framed (a body after a 204 or a HEAD, a
 * second answer after the first) would otherwise have those bytes read as the
 * answer to another client's request: response queue poisoning.
 *
 * Every stage has a deadline: the connect, each pause while the request body
 * is sent, the answer's head, and each pause while its body is read.
 *
 * @module
 */
import { checkPartialResponseHead, type Head, parseHead, UpstreamError, type UpstreamErrorKind } from "./head.ts";
import { Http1Reader } from "./reader.ts";
import { frameChunk, LAST_CHUNK, MessageBuffer } from "./response.ts";
import type { ClientGone, UpstreamRequest, UpstreamResponse } from "./types.ts";

export { UpstreamError };

/** Bodies up to this size are read whole and handed over as bytes, not as a stream. */
const SMALL_BODY = 64 * 1024;
/** The `done` of an answer read whole: already settled. */
const DONE = Promise.resolve();
/** How long a new connection may take to open. */
const CONNECT_TIMEOUT_MS = 10_000;
/** The longest pause while a body is sent or read, unless the request says. */
const BODY_TIMEOUT_MS = 60_000;

/** One keep-alive connection to an upstream. */
export class Http1Connection {
  /** When it was last returned to the pool. */
  idleSince = 0;
  /** `reactorTurns.started` when it was last returned to the pool: reused once a later turn has completed. */
  idleMark = 0;
  /** When the exchange's current stage must have made progress (ms since the epoch); 0 when nothing is awaited. */
  answerDeadline = 0;
  #conn: Deno.TcpConn;
  #reader: Http1Reader;
  #buffer = new MessageBuffer();
  #closed = false;
  #closeReason: UpstreamErrorKind | undefined;
  #headWritten = false;
  #chunkedBody = false;
  // The exchange in progress.
  #release: ((connection: Http1Connection, reusable: boolean) => void) | undefined;
  #client: ClientGone | undefined;
  #headTimeoutMs = 0;
  #bodyTimeoutMs = BODY_TIMEOUT_MS;
  #answered = false;
  #bodySent = false;
  #keepAlive = false;
  /** In the pool between exchanges: whatever its pending read brings is not an answer to anything. */
  #idle = false;
  #onAbort = () => this.close("aborted");
  #idleRead = (more: boolean) => {
    // Bytes (or the end) that came while no request was out: never an answer to the next one.
    if (this.#idle) this.close(more ? "protocol" : "reset");
    return more;
  };
  #idleBroken = () => {
    if (this.#idle) this.close("reset");
    return false;
  };

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#reader = new Http1Reader(conn, 4096);
    deadlines.add(this);
  }

  /** Connects within `timeoutMs`, or fails with a `connect` {@linkcode UpstreamError}. */
  static async open(hostname: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Http1Connection> {
    const connecting = Deno.connect({ hostname, port });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const conn = await Promise.race([connecting, late]);
      conn.setNoDelay(true);
      return new Http1Connection(conn);
    } catch (error) {
      connecting.then((conn) => conn.close(), () => {});
      throw new UpstreamError(
        "connect",
        `cannot connect to ${hostname}:${port}: ${(error as Error).message}`,
        true,
        error,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether it was closed (by the pool, a deadline, the upstream or bytes that came while idle). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the connection; pending reads and writes fail. */
  close(reason?: UpstreamErrorKind): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    deadlines.forget(this);
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
   * was read to its end and both sides keep the connection alive). The state
   * of the exchange lives on the connection, which has one at a time: no
   * closures per request.
   */
  async send(
    request: UpstreamRequest,
    host: string,
    release: (connection: Http1Connection, reusable: boolean) => void,
  ): Promise<UpstreamResponse> {
    this.#idle = false;
    this.#reader.resetCount();
    this.#headWritten = false;
    this.#answered = false;
    this.#keepAlive = false;
    this.#release = release;
    this.#client = request.client;
    this.#headTimeoutMs = request.headTimeoutMs ?? 0;
    this.#bodyTimeoutMs = request.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
    this.#client?.onGone(this.#onAbort);
    try {
      if (this.#client?.gone) throw new UpstreamError("aborted", "the client went away", true);
      if (this.#closed) throw new UpstreamError("reset", "the connection closed before the request", true);
      const head = this.#composeHead(request, host);
      // Nearly always one write takes the head: no extra async step then.
      const written = await this.#conn.write(head);
      if (written < head.length) await this.#write(head.subarray(written));
      this.#headWritten = true;
      // The timeout counts from the end of the request: an upload takes what it takes.
      this.#bodySent = request.body === null;
      if (request.body === null) this.#startTimer();
      else {
        // A connection whose body was not sent in full is never reused, so this cannot touch a later exchange.
        this.#writeBody(request.body, this.#chunkedBody).then(() => {
          this.#bodySent = true;
          this.#startTimer();
        }, () => this.close());
      }
      let response: Head;
      do {
        const text = await this.#reader.readHead(64 * 1024, checkPartialResponseHead);
        if (text === null) throw new UpstreamError("reset", "the connection closed before an answer", true);
        response = parseHead(text, request.method, this.#reader.headSuspect);
        if (response.status === 101) {
          throw new UpstreamError("protocol", "an unrequested 101 Switching Protocols", false);
        }
        // 100 Continue and 103 Early Hints precede the real answer.
      } while (response.status < 200);
      this.#answered = true;
      deadlines.unwatch(this);
      this.#keepAlive = response.keepAlive;
      return this.#withBufferedBody(response) ?? await this.#withBody(response);
    } catch (error) {
      this.#finish(false);
      throw this.#upstreamError(error);
    }
  }

  /** Starts the deadline for the answer's head, once the request is sent. */
  #startTimer(): void {
    if (this.#headTimeoutMs && !this.#answered) deadlines.watch(this, Date.now() + this.#headTimeoutMs);
  }

  /** Starts (again) the deadline for the next piece of a body: the request's while sent, the answer's while read. */
  #bodyTimer(): void {
    if (this.#bodyTimeoutMs) deadlines.watch(this, Date.now() + this.#bodyTimeoutMs);
  }

  /**
   * Ends the exchange once: back to the pool when it can be reused (the
   * answer ended where its framing says, both sides keep the connection, and
   * no byte beyond the answer is here), else closed. A reused connection gets
   * a pending read: whatever it brings before the next request is written
   * closes the connection.
   */
  #finish(reusable: boolean): void {
    const release = this.#release;
    if (!release) return;
    this.#release = undefined;
    deadlines.unwatch(this);
    this.#client?.onGone(undefined);
    this.#client = undefined;
    const keep = reusable && this.#keepAlive && this.#bodySent && !this.#closed && this.#reader.buffered === 0;
    if (!keep) this.close();
    else {
      this.#idle = true;
      this.#reader.fill().then(this.#idleRead, this.#idleBroken);
    }
    release(this, keep && !this.#closed);
  }

  /** The request's head in the connection's buffer; notes whether a body follows and how. */
  #composeHead(request: UpstreamRequest, host: string): Uint8Array {
    const out = this.#buffer.start().text(request.method).text(" ").text(request.target).text(" HTTP/1.1\r\nhost: ")
      .text(host).text("\r\n");
    let length: string | undefined;
    for (const [name, value] of request.headers) {
      const lower = name.toLowerCase();
      if (lower === "host" || lower === "transfer-encoding") continue;
      if (lower === "content-length") length = value;
      else out.text(name).text(": ").text(value).text("\r\n");
    }
    this.#chunkedBody = request.body !== null && length === undefined;
    if (this.#chunkedBody) out.text("transfer-encoding: chunked\r\n");
    else if (request.body !== null) out.text("content-length: ").text(length!).text("\r\n");
    return out.text("\r\n").finish();
  }

  /** The answer at once when it has no body or all of a small one is here (the common case), else undefined. */
  #withBufferedBody(head: Head): UpstreamResponse | undefined {
    const { status, statusText, headers, framing } = head;
    if (framing.kind === "none" || (framing.kind === "length" && framing.remaining === 0)) {
      this.#finish(true);
      return { status, statusText, headers, body: null, done: DONE };
    }
    if (framing.kind !== "length" || framing.remaining > SMALL_BODY || this.#reader.buffered < framing.remaining) {
      return undefined;
    }
    const body = this.#reader.take(framing.remaining);
    this.#finish(true);
    return { status, statusText, headers, body, done: DONE };
  }

  /** The answer with its body: a small one read whole, a larger one as a stream that releases the connection at its end. */
  async #withBody(head: Head): Promise<UpstreamResponse> {
    const { status, statusText, headers, framing } = head;
    if (framing.kind === "length" && framing.remaining <= SMALL_BODY) {
      while (this.#reader.buffered < framing.remaining) {
        this.#bodyTimer();
        if (!await this.#reader.fill()) {
          throw new UpstreamError("reset", "the connection closed in the middle of an answer", false);
        }
      }
      return this.#withBufferedBody(head)!;
    }
    const { promise: done, resolve } = Promise.withResolvers<void>();
    const end = (reusable: boolean) => {
      this.#finish(reusable);
      resolve();
    };
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        try {
          this.#bodyTimer();
          const chunk = await this.#reader.readBody(framing);
          deadlines.unwatch(this);
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

  /** Sends the request's body; each pause (the client's upload, or the upstream not reading) has the stage's deadline. */
  async #writeBody(body: ReadableStream<Uint8Array>, chunked: boolean): Promise<void> {
    if (!this.#answered) this.#bodyTimer();
    for await (const chunk of body) {
      if (chunk.length === 0) continue;
      await this.#write(chunked ? frameChunk(chunk) : chunk);
      if (!this.#answered) this.#bodyTimer();
    }
    if (chunked) await this.#write(LAST_CHUNK);
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let written = await this.#conn.write(bytes);
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
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
      this.#reader.received === 0,
      error,
    );
  }
}

/**
 * The answer-head deadlines of every open connection, checked ten times a
 * second: one timer for all of them instead of one per request. A deadline is
 * a field of its connection, so waiting for an answer costs no allocation or
 * hashing per request; connections join the set once, when opened. The timer
 * stops at a check that finds nobody waiting.
 */
class Deadlines {
  #connections = new Set<Http1Connection>();
  #waiting = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  add(connection: Http1Connection): void {
    this.#connections.add(connection);
  }

  forget(connection: Http1Connection): void {
    this.unwatch(connection);
    this.#connections.delete(connection);
  }

  watch(connection: Http1Connection, deadline: number): void {
    if (connection.answerDeadline === 0) this.#waiting++;
    connection.answerDeadline = deadline;
    this.#sweeper ??= setInterval(() => this.#sweep(), 100);
  }

  unwatch(connection: Http1Connection): void {
    if (connection.answerDeadline === 0) return;
    connection.answerDeadline = 0;
    this.#waiting--;
  }

  #sweep(): void {
    const now = Date.now();
    for (const connection of this.#connections) {
      if (connection.answerDeadline !== 0 && connection.answerDeadline <= now) connection.close("timeout");
    }
    if (this.#waiting > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}

const deadlines = new Deadlines();

function describe(kind: UpstreamErrorKind): string {
  return kind === "timeout" ? "timed out" : kind === "aborted" ? "the client went away" : "the connection broke";
}
