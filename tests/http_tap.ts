/**
 * A tap between a client (the browser of the UI test) and a server: a TCP
 * relay on a port of its own that keeps every byte the server sent, per
 * connection, so a test can read every answer the client got, streamed ones
 * (server-sent events still open) included, at the moment it asks and in full.
 *
 * @module
 */
import { concat, decodeResponses, type RawResponse } from "./raw_http.ts";

/** A running tap. */
export interface Tap extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`: give the client this instead of the server's URL. */
  url: string;
  /** Every answer the server sent so far, on every connection, decoded (an open stream: as far as it came). */
  responses(): RawResponse[];
}

/** Starts a tap in front of `target` (`http://HOST:PORT`). */
export function startTap(target: string): Tap {
  const { hostname, port } = new URL(target);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: { received: Uint8Array[]; open: Set<Deno.Conn> }[] = [];
  const relays: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const client of listener) {
      const record = { received: [] as Uint8Array[], open: new Set<Deno.Conn>([client]) };
      connections.push(record);
      relays.push(relay(client, record));
    }
  })();

  async function relay(client: Deno.Conn, record: { received: Uint8Array[]; open: Set<Deno.Conn> }): Promise<void> {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname, port: Number(port) });
    } catch {
      client.close();
      return;
    }
    record.open.add(server);
    const keep = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        record.received.push(chunk.slice());
        controller.enqueue(chunk);
      },
    });
    // A side that goes away ends both directions; the browser and the server do that all the time.
    await Promise.allSettled([
      client.readable.pipeTo(server.writable),
      server.readable.pipeThrough(keep).pipeTo(client.writable),
    ]);
    for (const conn of record.open) {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
    record.open.clear();
  }

  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    responses: () => connections.flatMap((record) => decodeResponses(concat(record.received))),
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await accepting.catch(() => {});
      for (const record of connections) {
        for (const conn of record.open) {
          try {
            conn.close();
          } catch { /* closed already */ }
        }
      }
      await Promise.allSettled(relays);
    },
  };
}
