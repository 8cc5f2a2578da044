import assert from "node:assert/strict";
import { parseHead, UpstreamError } from "./http1_head.ts";

Deno.test("parseHead reads status, headers and how the body is framed", () => {
  const head = parseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2", "GET");
  assert.equal(head.status, 200);
  assert.equal(head.statusText, "OK");
  assert.deepEqual(head.headers, [["Content-Length", "5"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]);
  assert.deepEqual(head.framing, { kind: "length", remaining: 5 });
  assert.equal(head.keepAlive, true);
  assert.deepEqual(parseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked", "GET").framing, {
    kind: "chunked",
  });
  const closing = parseHead("HTTP/1.1 200 OK", "GET");
  assert.deepEqual(closing.framing, { kind: "close" });
  assert.equal(closing.keepAlive, false, "a body read until close ends the connection");
  assert.equal(parseHead("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0", "GET").keepAlive, false);
  assert.equal(parseHead("HTTP/1.0 200 OK\r\nContent-Length: 0", "GET").keepAlive, false);
  assert.equal(parseHead("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0", "GET").keepAlive, true);
});

Deno.test("parseHead: HEAD, 204 and 304 have no body whatever the headers say", () => {
  assert.deepEqual(parseHead("HTTP/1.1 200 OK\r\nContent-Length: 10", "HEAD").framing, { kind: "none" });
  assert.deepEqual(parseHead("HTTP/1.1 204 No Content\r\nContent-Length: 10", "GET").framing, { kind: "none" });
  assert.deepEqual(parseHead("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked", "GET").framing, {
    kind: "none",
  });
});

Deno.test("parseHead refuses what is not HTTP", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => parseHead(text, "GET"), (error: UpstreamError) => {
      assert.equal(error.kind, "protocol");
      assert.match(error.message, pattern);
      return true;
    });
  refused("SSH-2.0-OpenSSH", /not an HTTP\/1 answer/);
  refused("HTTP/1.1 999 Odd", /status 999 is not an HTTP status/);
  refused("HTTP/1.1 200 OK\r\nBad Name: x", /bad header name/);
  refused("HTTP/1.1 200 OK\r\nno colon here", /bad header line/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: -5", /bad content-length/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6", /bad content-length/);
});
