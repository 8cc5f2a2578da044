import assert from "node:assert/strict";
import { describeProbe, probe } from "./probe.ts";

/** An HTTP server on 127.0.0.1 whose /healthz answers `status`, every other path 404. */
function listener(status: number): Deno.HttpServer {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    const code = path === "/healthz" ? status : 404;
    return new Response(code === 204 ? null : path, { status: code });
  });
}

/** A port that accepts connections and never answers. */
function silentListener(): Deno.TcpListener {
  return Deno.listen({ hostname: "127.0.0.1", port: 0 });
}

function portOf(server: Deno.HttpServer | Deno.TcpListener): number {
  return (server.addr as Deno.NetAddr).port;
}

async function close(server: Deno.HttpServer | Deno.TcpListener): Promise<void> {
  if ("shutdown" in server) await server.shutdown();
  else server.close();
}

Deno.test("probe: a health path answering 2xx or 3xx is ready, anything else says what it answered", async () => {
  for (const [status, ready] of [[200, true], [204, true], [302, true], [404, false], [503, false]] as const) {
    const server = listener(status);
    try {
      const result = await probe({ address: "127.0.0.1", port: portOf(server), healthPath: "/healthz" });
      assert.equal(result.ready, ready, `status ${status}`);
      if (!result.ready) {
        assert.equal(result.status, status);
        assert.match(result.reason, new RegExp(`^GET /healthz answered ${status} `));
      }
    } finally {
      await close(server);
    }
  }
});

Deno.test("probe: the path is the funko's own, not /ping", async () => {
  const server = listener(200);
  try {
    const port = portOf(server);
    assert.equal((await probe({ address: "127.0.0.1", port, healthPath: "/healthz" })).ready, true);
    const other = await probe({ address: "127.0.0.1", port, healthPath: "/ping" });
    assert.equal(other.ready, false, "/ping answers 404 here");
  } finally {
    await close(server);
  }
});

Deno.test("probe: without a health path, a port that accepts connections is ready", async () => {
  const silent = silentListener();
  try {
    const result = await probe({ address: "127.0.0.1", port: portOf(silent), healthPath: null });
    assert.deepEqual(result, { ready: true });
  } finally {
    await close(silent);
  }
});

Deno.test("probe: a closed port is refused, a silent app times out, no address is not ready", async () => {
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = portOf(gone);
  gone.close();
  const refused = await probe({ address: "127.0.0.1", port, healthPath: null });
  assert.deepEqual(refused, { ready: false, reason: `port ${port} refused the connection` });

  const silent = silentListener();
  const held: Deno.TcpConn[] = [];
  const accepting = (async () => {
    for await (const connection of silent) held.push(connection);
  })();
  try {
    const started = performance.now();
    const result = await probe({ address: "127.0.0.1", port: portOf(silent), healthPath: "/healthz" }, {
      timeoutMs: 200,
    });
    assert.deepEqual(result, { ready: false, reason: "GET /healthz got no answer in time" });
    assert.ok(performance.now() - started < 1000, "the timeout holds");
  } finally {
    silent.close();
    for (const connection of held) connection.close();
    await accepting.catch(() => {});
  }

  assert.equal((await probe({ port: 80, healthPath: null })).ready, false);
});

Deno.test("describeProbe says what is checked", () => {
  assert.equal(describeProbe({ port: 8080, healthPath: "/healthz" }), "GET /healthz on port 8080");
  assert.equal(describeProbe({ port: 5000, healthPath: null }), "a connection to port 5000");
});
