import assert from "node:assert/strict";
import type { ServerResponse } from "./response.ts";
import { Http1Server, type ServerRequest } from "./server.ts";

const encoder = new TextEncoder();

/** A server on a free port whose handler echoes what it got, or streams when asked. */
function echoServer(onRequest?: (request: ServerRequest) => void) {
  const server = Http1Server.listen({
    hostname: "127.0.0.1",
    port: 0,
    handler: async (request): Promise<ServerResponse> => {
      onRequest?.(request);
      const body = request.body ? await new Response(request.body).text() : "";
      if (request.target === "/stream") {
        return {
          status: 200,
          headers: [["content-type", "text/plain"]],
          body: ReadableStream.from(["one,", "two"]).pipeThrough(new TextEncoderStream()),
        };
      }
      if (request.target === "/wait") {
        await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
        return { status: 200, headers: [], body: null };
      }
      return {
        status: 200,
        headers: [["x-method", request.method], ["x-name", request.header("x-name") ?? ""]],
        body: encoder.encode(`${request.target} ${body}`),
      };
    },
  });
  return {
    server,
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      server.closeAll();
      await server.finished;
    },
  };
}

/** Sends raw bytes and reads until the server closes the connection or `until` shows up. */
async function exchange(port: number, text: string, until?: RegExp): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(text));
  const buffer = new Uint8Array(256 * 1024);
  let received = "";
  const timer = setTimeout(() => conn.close(), 3000);
  try {
    while (!until?.test(received)) {
      const read = await conn.read(buffer);
      if (read === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, read));
    }
  } catch {
    // Closed by the timer.
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
  return received;
}

Deno.test("Http1Server keeps connections alive and answers pipelined requests in order", async () => {
  await using echo = echoServer();
  const answer = await exchange(
    echo.port,
    "GET /a HTTP/1.1\r\nhost: x\r\n\r\nPOST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello" +
      "GET /c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
  );
  const heads = answer.match(/HTTP\/1\.1 200 OK/g) ?? [];
  assert.equal(heads.length, 3, answer);
  assert.ok(answer.indexOf("/a ") < answer.indexOf("/b hello") && answer.indexOf("/b hello") < answer.indexOf("/c "));
  assert.match(answer, /content-length: 3\r\n/);
  assert.match(answer, /connection: close\r\n/);
});

Deno.test("Http1Server answers larger than its reused buffer, and small ones after them", async () => {
  await using echo = echoServer();
  const big = "x".repeat(40_000);
  const answer = await exchange(
    echo.port,
    `POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${big.length}\r\n\r\n${big}` +
      "GET /small HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
  );
  assert.ok(answer.includes(`content-length: ${big.length + 5}\r\n`), answer.slice(0, 300));
  assert.ok(answer.includes(`\r\n\r\n/big ${big}HTTP/1.1 200 OK\r\n`));
  assert.ok(answer.endsWith("\r\n\r\n/small "));
});

Deno.test("Http1Server reads and writes header bytes as Latin-1, ASCII or not", async () => {
  const seen: string[] = [];
  await using echo = echoServer((request) => seen.push(request.header("x-name") ?? ""));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
  const ascii = encoder.encode("GET /a HTTP/1.1\r\nhost: x\r\nx-name: plain\r\n\r\n");
  // 0xE9 alone, then the two bytes UTF-8 would make of one character: each byte is one Latin-1 character.
  const high = Uint8Array.from([
    ...encoder.encode("GET /b HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-name: caf"),
    0xe9,
    0x20,
    0xc3,
    0xa9,
    13,
    10,
    13,
    10,
  ]);
  await conn.write(Uint8Array.from([...ascii, ...high]));
  const answers = new TextDecoder("latin1").decode(await new Response(conn.readable).arrayBuffer());
  assert.deepEqual(seen, ["plain", "caf\u00e9 \u00c3\u00a9"]);
  // Echoed back: the same bytes, not their UTF-8 encoding.
  assert.match(answers, /\r\nx-name: plain\r\n/);
  assert.match(answers, /\r\nx-name: caf\u00e9 \u00c3\u00a9\r\n/);
});

Deno.test("Http1Server reads chunked bodies, answers 100-continue, streams chunked answers", async () => {
  await using echo = echoServer();
  const posted = await exchange(
    echo.port,
    "POST /up HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n" +
      "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
  );
  assert.match(posted, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
  assert.match(posted, /\/up abcde$/);
  const streamed = await exchange(echo.port, "GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  assert.match(streamed, /transfer-encoding: chunked\r\n/);
  assert.match(streamed, /\r\n\r\n4\r\none,\r\n3\r\ntwo\r\n0\r\n\r\n$/);
  const old = await exchange(echo.port, "GET /stream HTTP/1.0\r\n\r\n");
  assert.doesNotMatch(old, /chunked/);
  assert.match(old, /connection: close\r\n\r\none,two$/, "HTTP/1.0 gets a body delimited by the close");
});

Deno.test("Http1Server: HEAD gets the head only", async () => {
  await using echo = echoServer();
  const answer = await exchange(echo.port, "HEAD /h HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
  assert.match(answer, /content-length: 3\r\n/);
  assert.ok(answer.endsWith("\r\n\r\n"), answer);
});

Deno.test("Http1Server refuses requests whose end is ambiguous, bad request lines and huge heads", async () => {
  await using echo = echoServer();
  const smuggled = await exchange(
    echo.port,
    "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
  );
  assert.match(smuggled, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(smuggled, /both Content-Length and Transfer-Encoding/);
  assert.match(await exchange(echo.port, "HELLO\r\n\r\n"), /^HTTP\/1\.1 400 /);
  assert.match(await exchange(echo.port, "GET / HTTP/1.1\r\nbad header\r\n\r\n"), /^HTTP\/1\.1 400 /);
  const huge = await exchange(echo.port, `GET / HTTP/1.1\r\nx-big: ${"a".repeat(70 * 1024)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
});

Deno.test("Http1Server aborts a request's signal when its client goes away", async () => {
  const aborted = Promise.withResolvers<void>();
  await using echo = echoServer((request) => request.signal.addEventListener("abort", () => aborted.resolve()));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
  await conn.write(encoder.encode("GET /wait HTTP/1.1\r\nhost: x\r\n\r\n"));
  await new Promise((resolve) => setTimeout(resolve, 50));
  conn.close();
  const timeout = setTimeout(() => aborted.reject(new Error("the signal was not aborted")), 2000);
  await aborted.promise.finally(() => clearTimeout(timeout));
});

Deno.test("Http1Server.shutdown closes idle connections and settles finished", async () => {
  const echo = echoServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
  await conn.write(encoder.encode("GET /a HTTP/1.1\r\nhost: x\r\n\r\n"));
  const buffer = new Uint8Array(4096);
  assert.ok((await conn.read(buffer))! > 0);
  echo.server.shutdown();
  await echo.server.finished;
  assert.equal(await conn.read(buffer), null, "the idle keep-alive connection is closed");
  conn.close();
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: echo.port }));
});
