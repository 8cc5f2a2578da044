/**
 * WebSocket pass-through: a socket is opened to the instance first (with the
 * client's headers, cookies and auth included, and its subprotocols), then the
 * client's request is upgraded with the subprotocol the instance chose, and
 * messages are relayed both ways. Closing either side closes the other with
 * the same code.
 *
 * @module
 */
import { jsonError } from "./errors.ts";

/** How long the instance gets to accept the WebSocket. */
const OPEN_TIMEOUT_MS = 10_000;

/**
 * Upgrades `request` and relays it to `upstreamUrl` (`ws://ADDRESS:3000/path?query`),
 * sending `headers` (the forwarded ones) in the upstream handshake.
 */
export async function relayWebSocket(
  request: Request,
  upstreamUrl: string,
  headers: [string, string][],
): Promise<Response> {
  const protocols = request.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim()).filter(Boolean);
  const handshake = headers.filter(([name]) => !name.startsWith("sec-websocket-"));
  const upstream = new WebSocket(upstreamUrl, { protocols, headers: handshake });
  upstream.binaryType = "arraybuffer";
  // What the instance says before the client's side is open waits here.
  const early: (string | ArrayBuffer)[] = [];
  upstream.onmessage = (event) => early.push(event.data);
  const opened = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), OPEN_TIMEOUT_MS);
    upstream.onopen = () => {
      clearTimeout(timer);
      resolve(true);
    };
    upstream.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
  if (!opened) {
    closeQuietly(upstream, 1000, "");
    return jsonError(502, "upstream_failed", "The funko did not accept the WebSocket");
  }
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request, upstream.protocol ? { protocol: upstream.protocol } : {});
  } catch (error) {
    closeQuietly(upstream, 1000, "");
    return jsonError(400, "bad_upgrade", `Cannot upgrade to a WebSocket: ${(error as Error).message}`);
  }
  const client = upgraded.socket;
  client.binaryType = "arraybuffer";
  client.onopen = () => {
    for (const message of early.splice(0)) client.send(message);
  };
  client.onmessage = (event) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(event.data);
  };
  upstream.onmessage = (event) => {
    if (client.readyState === WebSocket.OPEN) client.send(event.data);
    else early.push(event.data);
  };
  client.onclose = (event) => closeQuietly(upstream, event.code, event.reason);
  upstream.onclose = (event) => closeQuietly(client, event.code, event.reason);
  client.onerror = () => closeQuietly(upstream, 1011, "client error");
  upstream.onerror = () => closeQuietly(client, 1011, "upstream error");
  return upgraded.response;
}

function closeQuietly(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === WebSocket.CLOSED || socket.readyState === WebSocket.CLOSING) return;
  // Codes 1005 and 1006 report a close; they cannot be sent.
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) ||
    (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006);
  try {
    socket.close(sendable ? code : 1000, reason.slice(0, 120));
  } catch {
    // Already closing.
  }
}
