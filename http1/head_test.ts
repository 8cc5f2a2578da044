import assert from "node:assert/strict";
import { BadRequestError, listElements, parseHead, UpstreamError } from "./head.ts";
import { parseRequestHead } from "./request_head.ts";

Deno.test("parseHead reads status, headers and how the body is framed", () => {
  const head = parseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2", "GET");
  assert.equal(head.status, 200);
  assert.equal(head.statusText, "OK");
  assert.deepEqual(head.headers, [["Content-Length", "5"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]);
  assert.deepEqual(head.framing, { kind: "length", remaining: 5 });
  assert.equal(head.keepAlive, true);
  assert.deepEqual(parseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked", "GET").framing, { kind: "chunked" });
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
  refused("SSH-2.0-OpenSSH", /status line is not HTTP\/1\.x/);
  refused("HTTP/1.1 999 Odd", /status 999 is not an HTTP status/);
  refused("HTTP/1.1 200 OK\r\nBad Name: x", /header line 1 has a bad name/);
  refused("HTTP/1.1 200 OK\r\nno colon here", /header line 1 has no name/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: -5", /bad or differing content-length/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6", /bad or differing content-length/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: \v5", /bad value of header Content-Length/);
  refused("HTTP/1.1 200 OK\r\nContent-Length: \u00a05", /bad or differing content-length/);
  refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked", /transfer coding other than one chunked/);
  refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked", /other than one chunked/);
});

Deno.test("parseHead names a bad value, wherever the bad character is", () => {
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => parseHead(text, "GET"), (error: UpstreamError) => pattern.test(error.message));
  refused("HTTP/1.1 200 OK\r\nx-a: fine\r\nx-b: bare\nline", /bad value of header x-b/);
  refused("HTTP/1.1 200 OK\r\nx-b: nul\0here", /bad value of header x-b/);
  refused("HTTP/1.1 200 OK\r\nx-b: bare\rreturn", /bad value of header x-b/);
  refused("HTTP/1.1 200 O\0K", /status line is not HTTP\/1\.x/);
  refused("HTTP/1.1 200 OK\r\n: no name", /header line 1 has no name/);
  refused("HTTP/1.1 200 OK\r\nx-a: b\r\n", /header line 2 has no name/);
  refused("HTTP/1.1 200 OK\r\nx-b: vertical\vtab", /bad value of header x-b/);
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
  // An absolute-form target's authority replaces Host (RFC 9112 section 3.2.2).
  assert.deepEqual(head.headers, [["host", "example.com"], ["content-length", "3"]]);
  assert.deepEqual(head.framing, { kind: "length", remaining: 3 });
  assert.equal(head.keepAlive, true);
  assert.equal(parseRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive").keepAlive, true);
  assert.deepEqual(parseRequestHead("PUT / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked").framing, {
    kind: "chunked",
  });
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
    "GET / HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\ntransfer-encoding: chunked",
    /both Content-Length and Transfer-Encoding/,
  );
  refused("GET / HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\ncontent-length: 2", /bad content-length/);
  refused("GET / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: gzip", /unsupported transfer-encoding/, 501);
  refused("GET / HTTP/1.1\r\nhost: h\r\ntransfer-encoding: gzip, chunked", /unsupported transfer-encoding/, 501);
});

Deno.test("parseRequestHead refuses what RFC 9112 says a server MUST refuse", () => {
  const refused = (text: string, pattern: RegExp, status = 400) =>
    assert.throws(() => parseRequestHead(text), (error: BadRequestError) => {
      assert.equal(error.status, status);
      assert.match(error.message, pattern);
      return true;
    });
  refused("GET / HTTP/1.1\r\nx: y", /must have a Host header/);
  refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a", /more than one Host/);
  refused("GET / HTTP/1.1\r\nHost: a b", /bad host/);
  refused("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: \v5", /bad value of header content-length/);
  refused("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\u00a0", /bad content-length/);
  refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked", /HTTP\/1\.0 request cannot have a Transfer-Encoding/);
  refused("GET /a\x01b HTTP/1.1\r\nHost: a", /request target holds a control byte/);
  refused("GET /a\x7f HTTP/1.1\r\nHost: a", /request target holds a control byte/);
  refused(
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    /more than one Transfer-Encoding/,
  );
  refused("GET / HTTP/2.0\r\nHost: a", /HTTP\/2\.0 is not supported/, 505);
  refused("GET ! HTTP/1.1\r\nHost: a", /bad request target/);
  assert.equal(parseRequestHead("GET / HTTP/1.2\r\nHost: a").http10, false, "HTTP/1.2 is read as 1.1");
  assert.equal(parseRequestHead("GET / HTTP/1.1\r\nHost: [::1]:80").headers[0]![1], "[::1]:80");
  assert.equal(parseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 010").headers[1]![1], "10");
});

Deno.test("listElements trims only SP and HTAB (RFC 9110 OWS), not what JS trim() strips", () => {
  assert.deepEqual(listElements(" Keep-Alive ,\tX-Private,, "), ["keep-alive", "x-private"]);
  assert.deepEqual(listElements("\u00a0close"), ["\u00a0close"]);
});
