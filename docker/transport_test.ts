import assert from "node:assert/strict";
import { compareVersions, DockerTransport, parseDockerHost } from "./transport.ts";

Deno.test("parseDockerHost reads unix sockets and tcp addresses", () => {
  assert.deepEqual(parseDockerHost("unix:///var/run/docker.sock"), {
    baseUrl: "http://127.0.0.1",
    socketPath: "/var/run/docker.sock",
  });
  assert.deepEqual(parseDockerHost("tcp://10.0.0.2:2375"), { baseUrl: "http://10.0.0.2:2375" });
  assert.deepEqual(parseDockerHost("tcp://docker-host"), { baseUrl: "http://docker-host:2375" });
});

Deno.test("parseDockerHost explains what it cannot use", () => {
  assert.throws(() => parseDockerHost("ssh://me@host"), /Cannot use DOCKER_HOST=ssh:\/\/me@host: FaaSO speaks to/);
  assert.throws(() => parseDockerHost("unix://relative.sock"), /must be absolute/);
});

Deno.test("compareVersions compares numerically, not as text", () => {
  assert.equal(compareVersions("1.9", "1.41"), -1);
  assert.equal(compareVersions("1.41", "1.41"), 0);
  assert.equal(compareVersions("1.43", "1.41"), 1);
  assert.equal(compareVersions("2", "1.99"), 1);
});

Deno.test("DockerTransport refuses an engine older than API 1.41, naming its version", async () => {
  const engine = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname === "/_ping") {
      return new Response("OK", { headers: { "api-version": "1.40", server: "Docker/19.03.15 (linux)" } });
    }
    return Response.json({ message: "not here" }, { status: 404 });
  });
  const transport = new DockerTransport({ host: `tcp://127.0.0.1:${engine.addr.port}` });
  try {
    await assert.rejects(
      transport.request("GET", "/info"),
      /it speaks API 1\.40 \(Docker 19\.03\.15\), FaaSO needs API 1\.41/,
    );
  } finally {
    transport.close();
    await engine.shutdown();
  }
});

Deno.test("DockerTransport.preflight checks the version once, before the first request, which reports its failure", async () => {
  const paths: string[] = [];
  let apiVersion = "1.40";
  const engine = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    paths.push(path);
    if (path === "/_ping") return new Response("OK", { headers: { "api-version": apiVersion, server: "Docker/x" } });
    return Response.json({ ok: true });
  });
  const old = new DockerTransport({ host: `tcp://127.0.0.1:${engine.addr.port}` });
  const current = new DockerTransport({ host: `tcp://127.0.0.1:${engine.addr.port}` });
  try {
    old.preflight();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(paths, ["/_ping"], "the check runs before any request");
    await assert.rejects(old.request("GET", "/info"), /it speaks API 1\.40/);
    paths.length = 0;
    apiVersion = "1.41";
    current.preflight();
    current.preflight();
    assert.deepEqual(await current.json("GET", "/info"), { ok: true });
    assert.deepEqual(paths, ["/_ping", "/v1.41/info"], "one check, then the request");
  } finally {
    old.close();
    current.close();
    await engine.shutdown();
  }
});

Deno.test("DockerTransport.preflight against no engine: nothing unhandled, the first request says it is unreachable", async () => {
  const transport = new DockerTransport({ host: "unix:///nonexistent/docker.sock" });
  try {
    transport.preflight();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(transport.request("GET", "/info"), /nonexistent\/docker\.sock/);
  } finally {
    transport.close();
  }
});

Deno.test("DockerTransport.prefetch: the first same GET takes the answer sent ahead, later ones ask again", async () => {
  const paths: string[] = [];
  let count = 0;
  const engine = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    paths.push(url.pathname + url.search);
    if (url.pathname === "/_ping") return new Response("OK", { headers: { "api-version": "1.41" } });
    return Response.json({ count: ++count });
  });
  const transport = new DockerTransport({ host: `tcp://127.0.0.1:${engine.addr.port}` });
  try {
    transport.prefetch("/images/json", { filters: { label: ["a"] } });
    transport.prefetch("/containers/json", { all: "1" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(count, 2, "both sent before any request");
    // Another query is not the prefetched one.
    assert.deepEqual(await transport.json("GET", "/images/json", { query: { filters: { label: ["b"] } } }), {
      count: 3,
    });
    assert.deepEqual(await transport.json("GET", "/images/json", { query: { filters: { label: ["a"] } } }), {
      count: 1,
    });
    assert.deepEqual(await transport.json("GET", "/images/json", { query: { filters: { label: ["a"] } } }), {
      count: 4,
    });
    assert.equal(paths.filter((p) => p === "/_ping").length, 1);
  } finally {
    // The containers answer was never taken: close cancels it.
    transport.close();
    await engine.shutdown();
  }
});

Deno.test("DockerTransport.prefetch against an old engine: the request reports the version, not the answer", async () => {
  const engine = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    if (new URL(request.url).pathname === "/_ping") return new Response("OK", { headers: { "api-version": "1.40" } });
    return Response.json({ message: "client version 1.41 is too new" }, { status: 400 });
  });
  const transport = new DockerTransport({ host: `tcp://127.0.0.1:${engine.addr.port}` });
  try {
    transport.prefetch("/info");
    await assert.rejects(transport.json("GET", "/info"), /it speaks API 1\.40/);
  } finally {
    transport.close();
    await engine.shutdown();
  }
});
