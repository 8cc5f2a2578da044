/**
 * What the proxy tells whoever watches its traffic (the metrics and the
 * access log, server/metrics/): every answer to a request under /funko/, and
 * the events in between. The proxy runs without one when metrics and the
 * access log are off, and then reads no clock.
 *
 * @module
 */
import type { ServerRequest, ServerResponse, UpstreamErrorKind } from "../../http1/mod.ts";
import type { Endpoint } from "./routing_table.ts";

/** One request through the proxy, filled in as it goes. */
export class ProxyExchange {
  /** `performance.now()` when the proxy got the request. */
  readonly started: number;
  /** The funko named in the path ("" when there was none). */
  funko = "";
  /** Whether that funko exists (has instances or an image): false for 404s and redirects. */
  known = false;
  /** The instance that answered, if one did. */
  instance: Endpoint | undefined = undefined;
  /** Settles when the answer's body has been read from the instance to its end (or cancelled). */
  done: Promise<void> | undefined = undefined;

  constructor(started: number) {
    this.started = started;
  }
}

/** Watches the proxy's requests. */
export interface ProxyObserver {
  /**
   * A request got its answer (a WebSocket that ended: status 101 and no
   * body). Returns the answer to send: the same, or with its body wrapped
   * to count the bytes sent.
   */
  answered(request: ServerRequest, exchange: ProxyExchange, response: ServerResponse): ServerResponse;
  /** An instance of `funko` failed a request (the proxy may then try another). */
  upstreamFailed(funko: string, kind: UpstreamErrorKind): void;
  /** A request started (+1) or stopped (-1) waiting for an instance of `funko` to be ready. */
  waiting(funko: string, change: number): void;
}
