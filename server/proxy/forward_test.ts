import assert from "node:assert/strict";
import type { ServerRequest } from "../../http1/mod.ts";
import { forwardHeaders, isFunkoTarget, parseTarget, withoutHopByHop } from "./forward.ts";

Deno.test("parseTarget splits funko, path and query", () => {
  assert.deepEqual(parseTarget("/funko/hello/a/b?x=1"), { funko: "hello", rest: "/a/b", query: "?x=1" });
  assert.deepEqual(parseTarget("/funko/hello/"), { funko: "hello", rest: "/", query: "" });
  assert.deepEqual(parseTarget("/funko/hello"), { funko: "hello", rest: null, query: "" });
  assert.deepEqual(parseTarget("/funko/hello?x=/y"), { funko: "hello", rest: null, query: "?x=/y" });
  assert.equal(parseTarget("/funko/"), null);
  assert.equal(parseTarget("/admin/api"), null);
});

Deno.test("isFunkoTarget tells the proxy's fast path from the rest", () => {
  assert.ok(isFunkoTarget("/funko/hello/"));
  assert.ok(isFunkoTarget("/funko/hello?x"));
  assert.ok(!isFunkoTarget("/admin/funko/x"));
  assert.ok(!isFunkoTarget("/funkos"));
});

Deno.test("withoutHopByHop drops hop-by-hop headers and those Connection names", () => {
  const headers = withoutHopByHop([
    ["Connection", "keep-alive, X-Private"],
    ["Keep-Alive", "timeout=5"],
    ["X-Private", "1"],
    ["Transfer-Encoding", "chunked"],
    ["Set-Cookie", "a=1"],
    ["Set-Cookie", "b=2"],
    ["X-Kept", "1"],
  ]);
  assert.deepEqual(headers, [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"], ["X-Kept", "1"]]);
  // Kept headers before and after a dropped one stay in order.
  assert.deepEqual(withoutHopByHop([["a", "1"], ["upgrade", "x"], ["b", "2"]]), [["a", "1"], ["b", "2"]]);
  const clean: [string, string][] = [["content-type", "text/plain"], ["vary", "accept"]];
  assert.equal(withoutHopByHop(clean), clean);
});

Deno.test("forwardHeaders drops hop-by-hop headers, adds X-Forwarded-* and appends to X-Forwarded-For", () => {
  const pairs: [string, string][] = [
    ["host", "example.com:8888"],
    ["x-forwarded-for", "10.0.0.1"],
    ["connection", "keep-alive, x-private"],
    ["x-private", "1"],
    ["te", "trailers"],
    ["x-kept", "yes"],
  ];
  const request = {
    method: "GET",
    target: "/funko/hello/x",
    headers: pairs,
    remoteAddr: { transport: "tcp", hostname: "192.168.1.2", port: 5000 },
  } as unknown as ServerRequest;
  const headers = new Map(forwardHeaders(request, "hello"));
  assert.equal(headers.get("x-forwarded-for"), "10.0.0.1, 192.168.1.2");
  assert.equal(headers.get("x-forwarded-host"), "example.com:8888");
  assert.equal(headers.get("x-forwarded-proto"), "http");
  assert.equal(headers.get("x-forwarded-prefix"), "/funko/hello");
  assert.equal(headers.get("x-kept"), "yes");
  assert.equal(headers.get("host"), "example.com:8888");
  for (const gone of ["connection", "x-private", "te"]) assert.equal(headers.has(gone), false, gone);
});
