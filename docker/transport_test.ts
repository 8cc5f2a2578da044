import assert from "node:assert/strict";
import { compareVersions, parseDockerHost } from "./transport.ts";

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
