/**
 * FaaSO's own readiness check of an instance, from outside it: a GET of the
 * funko's health path, or (with `health: none`) a connection to its port.
 * Docker's healthcheck runs inside the container and so needs tools there
 * that an arbitrary image may lack; this check needs nothing of the image.
 * The proxy runs it on starting instances (and will on waking ones), a deploy
 * on its new instances.
 *
 * @module
 */

/** Where and how an instance is checked (an {@linkcode Instance} has these fields). */
export interface ProbeTarget {
  /** The instance's address on faaso-net; without one it cannot be ready. */
  address?: string;
  /** The port its app listens on. */
  port: number;
  /** The path whose GET must answer 2xx or 3xx; null: the port accepting a connection is enough. */
  healthPath: string | null;
}

/** What a probe found. */
export type ProbeResult =
  | { ready: true }
  | {
    ready: false;
    /** Why not, as a phrase: "port 8080 refused the connection", "GET /healthz answered 404". */
    reason: string;
    /** The HTTP status, when the app answered one. */
    status?: number;
  };

/** Options for {@linkcode probe}. */
export interface ProbeOptions {
  /** Ends the probe early (not ready). */
  signal?: AbortSignal;
  /** How long connecting plus the answer's status line may take. Default 1 s. */
  timeoutMs?: number;
}

/**
 * Checks once whether the instance is ready: connects to `address:port` and,
 * with a health path, sends `GET path` and reads the status line. A 2xx or
 * 3xx answer is ready (Kubernetes' rule for HTTP probes).
 *
 * @example
 * ```ts
 * const result = await probe({ address: "172.18.0.5", port: 8080, healthPath: "/healthz" });
 * if (!result.ready) console.log(result.reason); // "GET /healthz answered 404"
 * ```
 */
export async function probe(target: ProbeTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  if (!target.address) return { ready: false, reason: "it has no address on the network yet" };
  const timeoutMs = options.timeoutMs ?? 1000;
  const deadline = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
  let connection: Deno.TcpConn;
  try {
    connection = await withDeadline(
      Deno.connect({ hostname: target.address, port: target.port }),
      deadline,
      (late) => late.close(),
    );
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused) {
      return { ready: false, reason: `port ${target.port} refused the connection` };
    }
    if (deadline.aborted) return { ready: false, reason: `port ${target.port} did not accept a connection in time` };
    return { ready: false, reason: `cannot connect to port ${target.port}: ${(error as Error).message}` };
  }
  try {
    if (target.healthPath === null) return { ready: true };
    return await httpCheck(connection, target, deadline);
  } finally {
    try {
      connection.close();
    } catch {
      // Already closed by the peer.
    }
  }
}

/** The check in words: "GET /healthz on port 8080", "a connection to port 8080". */
export function describeProbe(target: Pick<ProbeTarget, "port" | "healthPath">): string {
  return target.healthPath === null
    ? `a connection to port ${target.port}`
    : `GET ${target.healthPath} on port ${target.port}`;
}

async function httpCheck(connection: Deno.TcpConn, target: ProbeTarget, deadline: AbortSignal): Promise<ProbeResult> {
  const path = target.healthPath!;
  const host = target.address!.includes(":") ? `[${target.address}]` : target.address;
  const request = `GET ${path} HTTP/1.1\r\nHost: ${host}:${target.port}\r\nUser-Agent: faaso-probe\r\n` +
    "Accept: */*\r\nConnection: close\r\n\r\n";
  try {
    await withDeadline(connection.write(new TextEncoder().encode(request)), deadline);
    const line = await withDeadline(readStatusLine(connection), deadline);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(line)?.[1];
    if (!status) {
      return { ready: false, reason: `GET ${path} got no HTTP answer (${JSON.stringify(line.slice(0, 40))})` };
    }
    const code = Number(status);
    if (code >= 200 && code < 400) return { ready: true };
    return { ready: false, reason: `GET ${path} answered ${line.slice(9).trim()}`, status: code };
  } catch (error) {
    if (deadline.aborted) return { ready: false, reason: `GET ${path} got no answer in time` };
    return { ready: false, reason: `GET ${path} failed: ${(error as Error).message}` };
  }
}

/** Reads up to the end of the first line (at most 1 KiB). */
async function readStatusLine(connection: Deno.TcpConn): Promise<string> {
  const buffer = new Uint8Array(1024);
  let length = 0;
  while (length < buffer.length) {
    const read = await connection.read(buffer.subarray(length));
    if (read === null) break;
    length += read;
    const end = buffer.subarray(0, length).indexOf(0x0a);
    if (end >= 0) return new TextDecoder().decode(buffer.subarray(0, end)).replace(/\r$/, "");
  }
  return new TextDecoder().decode(buffer.subarray(0, length));
}

/**
 * Settles with `work`, or rejects when `signal` aborts first; a value that
 * arrives too late goes to `dispose` (a connection made after the deadline is
 * closed, not leaked).
 */
function withDeadline<T>(work: Promise<T>, signal: AbortSignal, dispose?: (late: T) => void): Promise<T> {
  if (signal.aborted) {
    work.then((value) => dispose?.(value), () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise((resolve, reject) => {
    const abort = () => {
      work.then((value) => dispose?.(value), () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", abort, { once: true });
    work.then((value) => {
      signal.removeEventListener("abort", abort);
      if (signal.aborted) return;
      resolve(value);
    }, (error) => {
      signal.removeEventListener("abort", abort);
      reject(error);
    });
  });
}
