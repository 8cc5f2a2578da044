import assert from "node:assert/strict";
import { dropHopByHop, forwardHeaders, parseTarget } from "./proxy.ts";

Deno.test("parseTarget splits funko, path and query", () => {
  assert.deepEqual(parseTarget("http://h:8888/funko/hello/a/b?x=1"), { funko: "hello", rest: "/a/b", query: "?x=1" });
  assert.deepEqual(parseTarget("http://h/funko/hello/"), { funko: "hello", rest: "/", query: "" });
  assert.deepEqual(parseTarget("http://h/funko/hello"), { funko: "hello", rest: null, query: "" });
  assert.deepEqual(parseTarget("http://h/funko/hello?x=/y"), { funko: "hello", rest: null, query: "?x=/y" });
  assert.equal(parseTarget("http://h/funko/"), null);
  assert.equal(parseTarget("http://h/admin/api"), null);
});

Deno.test("dropHopByHop removes hop-by-hop headers and those Connection names", () => {
  const headers = new Headers({
    connection: "keep-alive, x-private",
    "keep-alive": "timeout=5",
    "x-private": "1",
    te: "trailers",
    upgrade: "h2c",
    "x-kept": "1",
  });
  dropHopByHop(headers);
  assert.deepEqual([...headers.keys()], ["x-kept"]);
});

Deno.test("forwardHeaders adds X-Forwarded-* and appends to X-Forwarded-For", () => {
  const request = new Request("http://example.com:8888/funko/hello/x", {
    headers: { host: "example.com:8888", "x-forwarded-for": "10.0.0.1" },
  });
  const headers = forwardHeaders(request, "hello", { remoteAddr: { hostname: "192.168.1.2" } });
  assert.equal(headers.get("x-forwarded-for"), "10.0.0.1, 192.168.1.2");
  assert.equal(headers.get("x-forwarded-host"), "example.com:8888");
  assert.equal(headers.get("x-forwarded-proto"), "http");
  assert.equal(headers.get("x-forwarded-prefix"), "/funko/hello");
  assert.equal(headers.get("accept-encoding"), "identity");
});
