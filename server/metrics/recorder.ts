/**
 * The proxy's observer: counts each answer into {@linkcode Traffic} and
 * writes its access log line, once the answer is complete (a streamed body
 * at its end). Either may be off.
 *
 * @module
 */
import { Http1Body, type ServerRequest, type ServerResponse, type UpstreamErrorKind } from "../../http1/mod.ts";
import type { ProxyExchange, ProxyObserver } from "../proxy/observer.ts";
import type { AccessLog } from "./access_log.ts";
import type { TrafficSink } from "./traffic.ts";

/** Counts answers and logs them. */
export class TrafficRecorder implements ProxyObserver {
  readonly #traffic: TrafficSink | undefined;
  readonly #log: AccessLog | undefined;

  constructor(traffic: TrafficSink | undefined, log: AccessLog | undefined) {
    this.#traffic = traffic;
    this.#log = log;
  }

  answered(request: ServerRequest, exchange: ProxyExchange, response: ServerResponse): ServerResponse {
    const body = response.body;
    const status = response.status;
    if (!(body instanceof ReadableStream)) {
      const bodiless = request.method === "HEAD" || status === 204 || status === 304 || status < 200;
      this.#finish(request, exchange, status, body && !bodiless ? body.length : 0);
      return response;
    }
    if (this.#log) {
      // Only the access log needs the bytes of a streamed body: counted on their way out.
      const counted = countBytes(body, (bytes) => this.#finish(request, exchange, status, bytes));
      return { status, statusText: response.statusText, headers: response.headers, body: counted };
    }
    const finish = () => this.#finish(request, exchange, status, 0);
    if (exchange.done) exchange.done.then(finish);
    else finish();
    return response;
  }

  upstreamFailed(funko: string, kind: UpstreamErrorKind): void {
    this.#traffic?.recordUpstreamError(funko, kind);
  }

  waiting(funko: string, change: number): void {
    this.#traffic?.waiting(funko, change);
  }

  #finish(request: ServerRequest, exchange: ProxyExchange, status: number, bytes: number): void {
    const ms = performance.now() - exchange.started;
    const traffic = this.#traffic;
    if (traffic) {
      if (exchange.known) traffic.record(exchange.funko, status, request.method, ms / 1000);
      else if (status === 404) traffic.unknownRequests++;
    }
    if (!this.#log) return;
    const query = request.target.indexOf("?");
    this.#log.write({
      time: Date.now() - ms,
      funko: exchange.funko,
      instance: exchange.instance?.name ?? null,
      method: request.method,
      path: query < 0 ? request.target : request.target.slice(0, query),
      status,
      bytes,
      durationMs: ms,
      client: request.remoteAddr.hostname,
    });
  }
}

/**
 * `body`, counting its bytes; `end` is told the count once, when it ends, fails
 * or is cancelled. An answer read from an instance is counted where it is, so
 * that the listener still copies it straight to the client (`Http1Body.copyTo`).
 */
export function countBytes(
  body: ReadableStream<Uint8Array>,
  end: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  if (body instanceof Http1Body) return body.count(end);
  const reader = body.getReader();
  let bytes = 0;
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    end(bytes);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finish();
          return;
        }
        bytes += value.length;
        controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
