import assert from "node:assert/strict";
import { BadRequestError, parseHead, parseRequestHead, UpstreamError } from "./head.ts";

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

Deno.test("parseHead names a bad value, wherever the bad character is", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => parseHead(text, "GET"), (error: UpstreamError) => pattern.test(error.message));
  refused("HTTP/1.1 200 OK\r\nx-a: fine\r\nx-b: bare\nline", /bad value of header x-b/);
  refused("HTTP/1.1 200 OK\r\nx-b: nul\0here", /bad value of header x-b/);
  refused("HTTP/1.1 200 OK\r\nx-b: bare\rreturn", /bad value of header x-b/);
  refused("HTTP/1.1 200 O\0K", /not an HTTP\/1 answer/);
  refused("HTTP/1.1 200 OK\r\n: no name", /bad header line/);
  refused("HTTP/1.1 200 OK\r\nx-a: b\r\n", /bad header line ""/);
  assert.deepEqual(parseHead("HTTP/1.1 204 No Content", "GET").headers, []);
  assert.deepEqual(parseHead("HTTP/1.1 200 OK\r\nX-A:  spaced value \r\nx-b:", "GET").headers, [
    ["X-A", "spaced value"],
    ["x-b", ""],
  ]);
});

Deno.test("parseRequestHead: lines, names in lowercase, framing, and what it refuses", () => {
  const head = parseRequestHead("\r\n\r\nPOST http://example.com/a?b=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3");
  assert.equal(head.method, "POST");
  assert.equal(head.target, "/a?b=1");
  assert.deepEqual(head.headers, [["host", "h"], ["content-length", "3"]]);
  assert.deepEqual(head.framing, { kind: "length", remaining: 3 });
  assert.equal(head.keepAlive, true);
  assert.equal(parseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive").keepAlive, true);
  assert.deepEqual(parseRequestHead("PUT / HTTP/1.1\r\ntransfer-encoding: chunked").framing, { kind: "chunked" });
  const refused = (text: string, pattern: RegExp, status = 400) =>
    assert.throws(() => parseRequestHead(text), (error: BadRequestError) => {
      assert.equal(error.status, status);
      assert.match(error.message, pattern);
      return true;
    });
  refused("GET /", /not an HTTP\/1 request line/);
  refused("GET / HTTP/1.1\r\nno colon", /bad header line "no colon"/);
  refused("GET / HTTP/1.1\r\nhost: h\r\n", /bad header line ""/);
  refused("GET / HTTP/1.1\r\nx: a\nb", /bad value of header x/);
  refused("GET / HTTP/1.1\r\nx: a\0b", /bad value of header x/);
  refused(
    "GET / HTTP/1.1\r\ncontent-length: 1\r\ntransfer-encoding: chunked",
    /both Content-Length and Transfer-Encoding/,
  );
  refused("GET / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2", /bad content-length/);
  refused("GET / HTTP/1.1\r\ntransfer-encoding: gzip", /unsupported transfer-encoding/, 501);
});
