/**
 * WebSocket pass-through as a byte tunnel: the client's handshake goes to the
 * instance with the forwarded headers (cookies, auth and subprotocols
 * included); when the instance answers 101, its answer goes back to the client
 * and from then on bytes flow both ways untouched until either side closes.
 * Frames, pings and close codes are the two ends' business.
 *
 * @module
 */
import {
  checkPartialResponseHead,
  closeQuietly,
  Http1Reader,
  jsonAnswer,
  latin1Bytes,
  parseHead,
  type ServerRequest,
  type ServerResponse,
  writeAll,
} from "../../http1/mod.ts";

/** How long the instance gets to accept the WebSocket. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * Relays the WebSocket `request` to `hostname:port` as `target`, sending
 * `headers` (the forwarded ones) in the handshake. Resolves with null once
 * the tunnel has closed, or with a 502 answer when the instance does not
 * accept the WebSocket.
 */
export async function relayWebSocket(
  request: ServerRequest,
  hostname: string,
  port: number,
  target: string,
  headers: [string, string][],
): Promise<ServerResponse | null> {
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect({ hostname, port });
  } catch {
    return jsonAnswer(502, "upstream_failed", "The funko did not accept the WebSocket: it cannot be reached");
  }
  upstream.setNoDelay(true);
  const reader = new Http1Reader(upstream);
  const timer = setTimeout(() => closeQuietly(upstream), OPEN_TIMEOUT_MS);
  // The client leaving during the handshake closes the upstream too, as for any proxied request.
  request.onGone(() => closeQuietly(upstream));
  let answer: string;
  try {
    let head = `${request.method} ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n`;
    for (const [name, value] of headers) if (name !== "host") head += `${name}: ${value}\r\n`;
    if (!await writeAll(upstream, latin1Bytes(`${head}connection: upgrade\r\nupgrade: websocket\r\n\r\n`))) {
      throw new Error("the handshake could not be sent");
    }
    const text = await reader.readHead(64 * 1024, checkPartialResponseHead);
    const parsed = text === null ? undefined : parseHead(text, request.method);
    if (!parsed || parsed.status !== 101) throw new Error(`it answered ${parsed?.status ?? "nothing"}`);
    answer = `${text}\r\n\r\n`;
  } catch (error) {
    closeQuietly(upstream);
    return jsonAnswer(502, "upstream_failed", `The funko did not accept the WebSocket: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
    request.onGone(undefined);
  }
  const client = request.takeOver();
  const early = reader.takeAll();
  const opened = await writeAll(client.conn, latin1Bytes(answer)) &&
    (early.length === 0 || await writeAll(client.conn, early)) &&
    (client.buffered.length === 0 || await writeAll(upstream, client.buffered));
  if (opened) await Promise.all([pump(client.conn, upstream), pump(upstream, client.conn)]);
  closeQuietly(client.conn);
  closeQuietly(upstream);
  return null;
}

/** Copies bytes from one socket to the other until either ends, then closes both. */
async function pump(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    while (true) {
      const read = await from.read(buffer);
      if (read === null || !await writeAll(to, buffer.subarray(0, read))) break;
    }
  } catch {
    // Closed by the other pump.
  }
  closeQuietly(from);
  closeQuietly(to);
}
