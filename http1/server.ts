/**
 * The listener: an HTTP/1.1 server on plain TCP that hands
 * each request to one handler as method, target, header pairs and a body
 * stream, and writes the answer back, keeping connections alive. It exists
 * for speed: the proxy passes heads and bodies from socket to socket without
 * building `Request`, `Headers` and `Response` objects, which measured 1.3x
 * the requests/s of `Deno.serve` for the same proxy at 32 connections and
 * 1.5x at 256. Fetch API handlers still get real `Request`s (see
 * `fetch_bridge.ts`); answers are written by `response.ts`.
 *
 * @module
 */
import { BadRequestError, type Framing, HeadTooLargeError, UpstreamError } from "./head.ts";
import { checkPartialRequestHead, parseRequestHead, type RequestHead } from "./request_head.ts";
import type { ClientGone } from "./types.ts";
import { Http1Body } from "./body.ts";
import { Http1Reader } from "./reader.ts";
import { ReactorTurn } from "./reactor_turn.ts";
import { closeQuietly, jsonAnswer, MessageBuffer, type ServerResponse, writeAll, writeResponse } from "./response.ts";

/** Request heads larger than this are refused with 431. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A connection that sends no request for this long is closed (also a slow head). */
const IDLE_TIMEOUT_MS = 60_000;

const encoder = new TextEncoder();
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");
/** What an answer to a request that could not be read is written for. */
const UNREAD: RequestHead = {
  method: "GET",
  target: "/",
  http10: false,
  headers: [],
  framing: { kind: "none" },
  keepAlive: false,
};

/** One request as the listener read it; it tells the proxy's upstream request when its client goes. */
export interface ServerRequest extends ClientGone {
  method: string;
  /** The request target as sent: `/path?query`. */
  target: string;
  /** Header pairs as sent, names in lowercase. */
  headers: [string, string][];
  /** The body, streamed from the client; null when the request has none. */
  body: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  /** Aborted when the client goes away (made on first use; the proxy's path uses `onGone`). */
  readonly signal: AbortSignal;
  /** The client's address. */
  remoteAddr: Deno.NetAddr;
  /** The first value of a header (lowercase name). */
  header(name: string): string | undefined;
  /**
   * Takes the connection over for another protocol (a WebSocket): the server
   * forgets it. Returns the socket and the bytes already read past the head.
   * The handler must then resolve with null.
   */
  takeOver(): { conn: Deno.TcpConn; buffered: Uint8Array<ArrayBuffer> };
}

/** Answers a request; null when it took the connection over. */
export type Http1Handler = (request: ServerRequest) => ServerResponse | null | Promise<ServerResponse | null>;

/** Where to listen and who answers. */
export interface Http1ServerOptions {
  hostname: string;
  port: number;
  handler: Http1Handler;
  /** Called with errors of the handler (answered with 500). */
  onError?: (error: unknown) => void;
  /**
   * Shares the port with other listeners that set it too (`SO_REUSEPORT`, needs
   * `--unstable-net`): the kernel spreads new connections over them.
   */
  reusePort?: boolean;
}

interface Connection {
  conn: Deno.TcpConn;
  busy: boolean;
  idleSince: number;
}

/** A listening HTTP/1.1 server. */
export class Http1Server {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** Settles when the listener and every connection are closed. */
  readonly finished: Promise<void>;
  #listener: Deno.TcpListener;
  #options: Http1ServerOptions;
  #connections = new Set<Connection>();
  #serving = new Set<Promise<void>>();
  #closing = false;
  #turn = new ReactorTurn();
  #requests = 0;
  #sweeper: ReturnType<typeof setInterval>;

  private constructor(listener: Deno.TcpListener, options: Http1ServerOptions) {
    this.#listener = listener;
    this.#options = options;
    this.addr = listener.addr;
    this.#sweeper = setInterval(() => this.#sweep(), 5000);
    this.finished = this.#accept();
  }

  /** Listens on `hostname:port` (port 0: any free port). */
  static listen(options: Http1ServerOptions): Http1Server {
    const { hostname, port, reusePort } = options;
    const listener = reusePort
      ? Deno.listen({ hostname, port, reusePort } as Deno.TcpListenOptions)
      : Deno.listen({ hostname, port });
    return new Http1Server(listener, options);
  }

  /** Requests read so far. */
  get requests(): number {
    return this.#requests;
  }

  /** Client connections open now, idle or busy (for metrics). */
  get openConnections(): number {
    return this.#connections.size;
  }

  /** Stops accepting and closes idle connections; busy ones close after their answer. */
  shutdown(): void {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#sweeper);
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const connection of this.#connections) if (!connection.busy) closeQuietly(connection.conn);
    const closeTurn = () => this.#turn.close();
    this.finished.then(closeTurn, closeTurn);
  }

  /** Closes every connection now, busy or not: what is in flight is cut. */
  closeAll(): void {
    this.shutdown();
    for (const connection of this.#connections) closeQuietly(connection.conn);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const serving = this.#serve(conn).catch((error) => this.#options.onError?.(error));
        this.#serving.add(serving);
        serving.then(() => this.#serving.delete(serving));
      }
    } catch (error) {
      if (!this.#closing) throw error;
    }
    while (this.#serving.size) await Promise.allSettled([...this.#serving]);
  }

  #sweep(): void {
    const now = Date.now();
    for (const connection of this.#connections) {
      if (!connection.busy && now - connection.idleSince > IDLE_TIMEOUT_MS) closeQuietly(connection.conn);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    const connection: Connection = { conn, busy: false, idleSince: Date.now() };
    this.#connections.add(connection);
    const reader = new Http1Reader(conn, 4096);
    const buffer = new MessageBuffer();
    // One shape for every connection's address: Deno's differ, which made reading them megamorphic.
    const { hostname, port } = conn.remoteAddr;
    const remoteAddr: Deno.NetAddr = { transport: "tcp", hostname, port };
    // A read started after a request was read in full: it sees the client go away, or the next request.
    let watch: Promise<boolean> | undefined;
    // The request being answered, told by the watch read when its client goes. Made once per connection, not per request.
    let current: IncomingRequest | undefined;
    const watched = (more: boolean) => {
      if (!more) current?.clientGone();
      return more;
    };
    const broken = () => {
      current?.clientGone();
      return false;
    };
    const startWatch = () => {
      // Bytes already here are the next request (pipelined): nothing to watch for.
      if (reader.buffered === 0) watch = reader.fill().then(watched, broken);
    };
    try {
      while (!this.#closing) {
        connection.busy = false;
        connection.idleSince = Date.now();
        if (watch && !await watch) break;
        watch = undefined;
        const turn = this.#turn.due();
        if (turn) await turn;
        let head: RequestHead;
        try {
          // A kept-alive client's next head is usually here already (the watch read got it).
          const text = reader.bufferedHead(MAX_HEAD_BYTES) ??
            await reader.readHead(MAX_HEAD_BYTES, checkPartialRequestHead);
          if (text === null) break;
          head = parseRequestHead(text, reader.headSuspect);
        } catch (error) {
          // A head too large or not HTTP gets an answer; a client that left mid-head does not.
          const answer = error instanceof BadRequestError
            ? jsonAnswer(error.status, "bad_request", error.message)
            : error instanceof HeadTooLargeError
            ? jsonAnswer(431, "bad_request", "the request head is larger than 64 KiB")
            : undefined;
          if (answer) await writeResponse(conn, buffer, UNREAD, answer, false);
          break;
        }
        connection.busy = true;
        this.#requests++;
        const request = current = new IncomingRequest(head, conn, remoteAddr, reader, startWatch);
        if (head.framing.kind !== "none" && request.header("expect")?.toLowerCase() === "100-continue") {
          await writeAll(conn, CONTINUE);
        }
        // An upgrade may take the connection over: no read of ours may be pending then.
        if (head.framing.kind === "none" && request.header("upgrade") === undefined) startWatch();
        let response: ServerResponse | null;
        try {
          response = await this.#options.handler(request);
        } catch (error) {
          this.#options.onError?.(error);
          response = jsonAnswer(500, "internal_error", "Internal error");
        }
        if (request.takenOver) return;
        if (!response) throw new Error("the handler answered null without taking the connection over");
        if (request.bodyError) {
          // The body turned out malformed after the handler had started (a proxy had sent the head on): nothing
          // was written to the client yet, so it learns why, whatever the handler made of the broken body.
          if (response.body instanceof ReadableStream) response.body.cancel().catch(() => {});
          response = jsonAnswer(400, "bad_request", `bad request body: ${request.bodyError.message}`);
        }
        const keepAlive = head.keepAlive && !this.#closing && request.bodyRead;
        if (!await writeResponse(conn, buffer, head, response, keepAlive) || !keepAlive) break;
      }
    } catch {
      // The connection broke: nothing to answer.
    } finally {
      this.#connections.delete(connection);
    }
    closeQuietly(conn);
    // A watch still pending ends with the close.
    await watch?.catch(() => {});
  }
}

class IncomingRequest implements ServerRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly body: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  readonly remoteAddr: Deno.NetAddr;
  bodyRead: boolean;
  /** Why the body could not be read, when it was malformed (not when the client went away). */
  bodyError: UpstreamError | undefined;
  takenOver = false;
  gone = false;
  #onGone: (() => void) | undefined;
  #abort: AbortController | undefined;
  #conn: Deno.TcpConn;
  #reader: Http1Reader;

  constructor(
    head: RequestHead,
    conn: Deno.TcpConn,
    remoteAddr: Deno.NetAddr,
    reader: Http1Reader,
    onBodyRead: () => void,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.headers = head.headers;
    this.remoteAddr = remoteAddr;
    this.#conn = conn;
    this.#reader = reader;
    this.bodyRead = head.framing.kind === "none";
    this.body = this.bodyRead ? null : this.#bodyStream(head.framing, onBodyRead);
  }

  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.gone) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  onGone(callback: (() => void) | undefined): void {
    this.#onGone = callback;
  }

  /** The client went away (or broke the connection): tells whoever listens, once. */
  clientGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.#onGone?.();
    this.#abort?.abort();
  }

  header(name: string): string | undefined {
    for (const [key, value] of this.headers) if (key === name) return value;
    return undefined;
  }

  takeOver(): { conn: Deno.TcpConn; buffered: Uint8Array<ArrayBuffer> } {
    this.takenOver = true;
    return { conn: this.#conn, buffered: this.#reader.takeAll() };
  }

  #bodyStream(framing: Framing, onBodyRead: () => void): Http1Body {
    return new Http1Body(this.#reader, framing, {
      ended: () => {
        this.bodyRead = true;
        onBodyRead();
      },
      failed: (error) => {
        if (error instanceof UpstreamError && error.kind === "protocol") {
          // Malformed, not gone: whoever reads the body fails, and the listener answers 400 if it still can.
          this.bodyError = error;
        } else {
          closeQuietly(this.#conn);
          this.clientGone();
        }
        return error;
      },
    });
  }
}
