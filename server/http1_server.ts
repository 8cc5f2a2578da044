/**
 * The listener of `faaso serve`: an HTTP/1.1 server on plain TCP that hands
 * each request to one handler as method, target, header pairs and a body
 * stream, and writes the answer back, keeping connections alive. It exists
 * for speed: the proxy passes heads and bodies from socket to socket without
 * building `Request`, `Headers` and `Response` objects, which measured 1.8x
 * the requests/s of `Deno.serve` for the same proxy. The admin side still gets
 * real `Request`s (see `fetch_bridge.ts`).
 *
 * @module
 */
import { BadRequestError, type Framing, parseRequestHead, type RequestHead, UpstreamError } from "./http1_head.ts";
import { Http1Reader } from "./http1_reader.ts";
import { ReactorTurn } from "./reactor_turn.ts";

/** Request heads larger than this are refused with 431. */
const MAX_HEAD_BYTES = 64 * 1024;
/** A connection that sends no request for this long is closed (also a slow head). */
const IDLE_TIMEOUT_MS = 60_000;

const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");
const CONTINUE = encoder.encode("HTTP/1.1 100 Continue\r\n\r\n");

/** One request as the listener read it. */
export interface ServerRequest {
  method: string;
  /** The request target as sent: `/path?query`. */
  target: string;
  /** Header pairs as sent, names in lowercase. */
  headers: [string, string][];
  /** The body, streamed from the client; null when the request has none. */
  body: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
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

/** An answer to write: the framing headers (length, chunked, connection) are the server's business. */
export interface ServerResponse {
  status: number;
  statusText?: string;
  headers: Iterable<[string, string]>;
  body: Uint8Array | ReadableStream<Uint8Array> | null;
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
    return new Http1Server(Deno.listen({ hostname: options.hostname, port: options.port }), options);
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
    for (const connection of this.#connections) if (!connection.busy) close(connection.conn);
    this.finished.finally(() => this.#turn.close());
  }

  /** Closes every connection now, busy or not: what is in flight is cut. */
  closeAll(): void {
    this.shutdown();
    for (const connection of this.#connections) close(connection.conn);
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
      if (!connection.busy && now - connection.idleSince > IDLE_TIMEOUT_MS) close(connection.conn);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    const connection: Connection = { conn, busy: false, idleSince: Date.now() };
    this.#connections.add(connection);
    const reader = new Http1Reader(conn, 4096);
    // A read started after a request was read in full: it sees the client go away, or the next request.
    let watch: Promise<boolean> | undefined;
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
          const text = await reader.readHead(MAX_HEAD_BYTES);
          if (text === null) break;
          head = parseRequestHead(text);
        } catch (error) {
          // A head too large or not HTTP gets an answer; a client that left mid-head does not.
          if (error instanceof BadRequestError) await writeAll(conn, plainAnswer(error.status, error.message));
          else if (error instanceof UpstreamError && error.kind === "protocol") {
            await writeAll(conn, plainAnswer(431, "the request head is larger than 64 KiB"));
          }
          break;
        }
        connection.busy = true;
        const abort = new AbortController();
        const startWatch = () => {
          // Bytes already here are the next request (pipelined): nothing to watch for.
          if (reader.buffered > 0) return;
          watch = reader.fill().then((more) => {
            if (!more) abort.abort();
            return more;
          }, () => {
            abort.abort();
            return false;
          });
        };
        const request = new IncomingRequest(head, conn, reader, abort, startWatch);
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
          response = {
            status: 500,
            headers: [["content-type", "application/json"]],
            body: encoder.encode(JSON.stringify({ error: { code: "internal_error", message: "Internal error" } })),
          };
        }
        if (request.takenOver) return;
        if (!response) throw new Error("the handler answered null without taking the connection over");
        const keepAlive = head.keepAlive && !this.#closing && request.bodyRead;
        if (!await writeResponse(conn, head, response, keepAlive) || !keepAlive) break;
      }
    } catch {
      // The connection broke: nothing to answer.
    } finally {
      this.#connections.delete(connection);
    }
    close(conn);
    // A watch still pending ends with the close.
    await watch?.catch(() => {});
  }
}

class IncomingRequest implements ServerRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: [string, string][];
  readonly body: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  readonly signal: AbortSignal;
  readonly remoteAddr: Deno.NetAddr;
  bodyRead: boolean;
  takenOver = false;
  #conn: Deno.TcpConn;
  #reader: Http1Reader;

  #abort: AbortController;

  constructor(
    head: RequestHead,
    conn: Deno.TcpConn,
    reader: Http1Reader,
    abort: AbortController,
    onBodyRead: () => void,
  ) {
    this.method = head.method;
    this.target = head.target;
    this.headers = head.headers;
    this.signal = abort.signal;
    this.#abort = abort;
    this.remoteAddr = conn.remoteAddr;
    this.#conn = conn;
    this.#reader = reader;
    this.bodyRead = head.framing.kind === "none";
    this.body = this.bodyRead ? null : this.#bodyStream(head.framing, onBodyRead);
  }

  header(name: string): string | undefined {
    for (const [key, value] of this.headers) if (key === name) return value;
    return undefined;
  }

  takeOver(): { conn: Deno.TcpConn; buffered: Uint8Array<ArrayBuffer> } {
    this.takenOver = true;
    return { conn: this.#conn, buffered: this.#reader.takeAll() };
  }

  #bodyStream(framing: Framing, onBodyRead: () => void): ReadableStream<Uint8Array<ArrayBuffer>> {
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        try {
          const chunk = await this.#reader.readBody(framing);
          if (chunk) return controller.enqueue(chunk);
          controller.close();
          this.bodyRead = true;
          onBodyRead();
        } catch (error) {
          close(this.#conn);
          this.#abort.abort();
          controller.error(error);
        }
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * Writes `response` with its framing: Content-Length for bytes, the given
 * length or chunked encoding for streams (close-delimited for HTTP/1.0).
 * False when the connection must close (the client went away, or the body
 * ends with the connection).
 */
async function writeResponse(
  conn: Deno.TcpConn,
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
  const headBytes = encoder.encode(head);

  if (!(body instanceof ReadableStream)) {
    if (!body || bodiless) return await writeAll(conn, headBytes) && keepAlive;
    const whole = new Uint8Array(headBytes.length + body.length);
    whole.set(headBytes);
    whole.set(body, headBytes.length);
    return await writeAll(conn, whole) && keepAlive;
  }
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

function frameChunk(chunk: Uint8Array): Uint8Array {
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
    for (let written = 0; written < bytes.length;) written += await conn.write(bytes.subarray(written));
    return true;
  } catch {
    return false;
  }
}

/** A JSON error answer written before closing: the request could not be read. */
function plainAnswer(status: number, message: string): Uint8Array {
  const body = JSON.stringify({ error: { code: "bad_request", message } });
  return encoder.encode(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ""}\r\ncontent-type: application/json\r\n` +
      `content-length: ${encoder.encode(body).length}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function close(conn: Deno.Conn): void {
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
