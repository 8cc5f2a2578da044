/**
 * A relay in front of the Docker engine's unix socket, for a `faaso serve`
 * whose connection to the engine a test must break (its event stream) without
 * touching the engine: point the server's DOCKER_HOST at the relay, then
 * {@linkcode SocketRelay.cut} closes every connection through it and refuses
 * new ones until {@linkcode SocketRelay.restore}, as an engine that went away
 * and came back would.
 *
 * @module
 */
import { join } from "node:path";
import { sandbox } from "./sandbox.ts";

/** A relay to an engine's socket. */
export interface SocketRelay extends AsyncDisposable {
  /** `unix:///...`: the DOCKER_HOST of whatever should go through the relay. */
  host: string;
  /** How many of the server's connections were cut so far. */
  readonly cutConnections: number;
  /** Closes every connection through the relay now, and refuses new ones (closes them at once). */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
}

/** Starts a relay to the engine's socket `target` (a path). */
export async function startSocketRelay(target: string): Promise<SocketRelay> {
  const folder = await Deno.makeTempDir({ dir: sandbox().tmp, prefix: "faaso-relay-" });
  const path = join(folder, "docker.sock");
  const listener = Deno.listen({ transport: "unix", path });
  const open = new Set<Deno.Conn>();
  const clients = new Set<Deno.Conn>();
  const relays = new Set<Promise<void>>();
  let refusing = false;
  let cutConnections = 0;
  const close = (conn: Deno.Conn) => {
    open.delete(conn);
    clients.delete(conn);
    try {
      conn.close();
    } catch { /* closed already */ }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      if (refusing) {
        close(client);
        continue;
      }
      const relay = (async () => {
        open.add(client);
        clients.add(client);
        let engine: Deno.Conn;
        try {
          engine = await Deno.connect({ transport: "unix", path: target });
        } catch {
          close(client);
          return;
        }
        open.add(engine);
        await Promise.allSettled([client.readable.pipeTo(engine.writable), engine.readable.pipeTo(client.writable)]);
        close(client);
        close(engine);
      })();
      relays.add(relay);
      relay.finally(() => relays.delete(relay));
    }
  })();
  return {
    host: `unix://${path}`,
    get cutConnections() {
      return cutConnections;
    },
    cut: () => {
      refusing = true;
      cutConnections += clients.size;
      for (const conn of [...open]) close(conn);
    },
    restore: () => {
      refusing = false;
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of [...open]) close(conn);
      await Promise.allSettled([...relays]);
      await Deno.remove(folder, { recursive: true }).catch(() => {});
    },
  };
}
