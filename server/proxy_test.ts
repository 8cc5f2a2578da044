import assert from "node:assert/strict";
import { forwardHeaders, isFunkoUrl, parseTarget, withoutHopByHop } from "./proxy.ts";

Deno.test("parseTarget splits funko, path and query", () => {
  assert.deepEqual(parseTarget("http://h:8888/funko/hello/a/b?x=1"), { funko: "hello", rest: "/a/b", query: "?x=1" });
  assert.deepEqual(parseTarget("http://h/funko/hello/"), { funko: "hello", rest: "/", query: "" });
  assert.deepEqual(parseTarget("http://h/funko/hello"), { funko: "hello", rest: null, query: "" });
  assert.deepEqual(parseTarget("http://h/funko/hello?x=/y"), { funko: "hello", rest: null, query: "?x=/y" });
  assert.equal(parseTarget("http://h/funko/"), null);
  assert.equal(parseTarget("http://h/admin/api"), null);
});

Deno.test("isFunkoUrl tells the proxy's fast path from the rest", () => {
  assert.ok(isFunkoUrl("http://h:8888/funko/hello/"));
  assert.ok(isFunkoUrl("https://h/funko/hello?x"));
  assert.ok(!isFunkoUrl("http://h/admin/funko/x"));
  assert.ok(!isFunkoUrl("http://h/funkos"));
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
  assert.deepEqual([...headers], [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-kept", "1"]]);
});

Deno.test("forwardHeaders drops hop-by-hop headers, adds X-Forwarded-* and appends to X-Forwarded-For", () => {
  const request = new Request("http://example.com:8888/funko/hello/x", {
    headers: {
      host: "example.com:8888",
      "x-forwarded-for": "10.0.0.1",
      connection: "keep-alive, x-private",
      "x-private": "1",
      te: "trailers",
      "x-kept": "yes",
    },
  });
  const headers = new Map(forwardHeaders(request, "hello", { remoteAddr: { hostname: "192.168.1.2" } }));
  assert.equal(headers.get("x-forwarded-for"), "10.0.0.1, 192.168.1.2");
  assert.equal(headers.get("x-forwarded-host"), "example.com:8888");
  assert.equal(headers.get("x-forwarded-proto"), "http");
  assert.equal(headers.get("x-forwarded-prefix"), "/funko/hello");
  assert.equal(headers.get("x-kept"), "yes");
  for (const gone of ["connection", "x-private", "te"]) assert.equal(headers.has(gone), false, gone);
});
