import assert from "node:assert/strict";
import { compareVersions, DockerTransport, parseDockerHost } from "./transport.ts";

Deno.test("parseDockerHost reads unix sockets and tcp addresses", () => {
  assert.deepEqual(parseDockerHost("unix:///var/run/docker.sock"), {
    baseUrl: "http://docker",
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
