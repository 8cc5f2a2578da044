/**
 * WebSocket pass-through: the client's socket is accepted here and relayed
 * message by message to a socket opened to the instance. Messages sent before
 * the instance's socket opens are queued, and closing either side closes the
 * other with the same code.
 *
 * @module
 */
import { jsonError } from "./errors.ts";

/** Upgrades `request` and relays it to `upstreamUrl` (`ws://ADDRESS:3000/path?query`). */
export function relayWebSocket(request: Request, upstreamUrl: string): Response {
  const protocols = request.headers.get("sec-websocket-protocol")?.split(",").map((p) => p.trim()).filter(Boolean);
  let upgraded: { socket: WebSocket; response: Response };
  try {
    upgraded = Deno.upgradeWebSocket(request, protocols?.length ? { protocol: protocols[0] } : {});
  } catch (error) {
    return jsonError(400, "bad_upgrade", `Cannot upgrade to a WebSocket: ${(error as Error).message}`);
  }
  const client = upgraded.socket;
  const upstream = new WebSocket(upstreamUrl, protocols);
  client.binaryType = "arraybuffer";
  upstream.binaryType = "arraybuffer";
  const queued: (string | ArrayBuffer)[] = [];

  client.onmessage = (event) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(event.data);
    else queued.push(event.data);
  };
  upstream.onopen = () => {
    for (const message of queued.splice(0)) upstream.send(message);
  };
  upstream.onmessage = (event) => {
    if (client.readyState === WebSocket.OPEN) client.send(event.data);
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
