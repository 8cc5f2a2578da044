/**
 * A Fetch API handler (a Hono app) speaks `Request` and `Response`; the listener
 * speaks header pairs and byte streams. This turns one into the other, so
 * that only a fast path such as a proxy's skips the Fetch API objects.
 *
 * @module
 */
import { jsonAnswer, type ServerResponse } from "./response.ts";
import type { ServerRequest } from "./server.ts";

/** A Fetch API handler, as Hono's `app.fetch`; `info` carries the client's address as Deno.serve's would. */
export type FetchHandler = (
  request: Request,
  info: { remoteAddr: Deno.NetAddr },
) => Response | Promise<Response>;

/** Answers a listener request with a Fetch API handler. */
export async function serveFetch(request: ServerRequest, handler: FetchHandler): Promise<ServerResponse> {
  let fetchRequest: Request;
  try {
    const host = request.header("host") || `${request.remoteAddr.hostname}`;
    fetchRequest = new Request(new URL(request.target, `http://${host}`), {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
      duplex: "half",
    } as RequestInit);
  } catch (error) {
    return jsonAnswer(400, "bad_request", `Bad request: ${(error as Error).message}`);
  }
  const response = await handler(fetchRequest, { remoteAddr: request.remoteAddr });
  return { status: response.status, statusText: response.statusText, headers: response.headers, body: response.body };
}
