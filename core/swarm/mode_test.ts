import assert from "node:assert/strict";
import { parseRegistry, parseSwarmSetting } from "./mode.ts";
import { withoutTag } from "./instances.ts";

Deno.test("parseSwarmSetting reads auto, on and off in their usual spellings", () => {
  assert.equal(parseSwarmSetting(undefined), "auto");
  assert.equal(parseSwarmSetting(""), "auto");
  assert.equal(parseSwarmSetting("ON"), "on");
  assert.equal(parseSwarmSetting("1"), "on");
  assert.equal(parseSwarmSetting("false"), "off");
  assert.throws(() => parseSwarmSetting("maybe"), /FAASO_SWARM=maybe: use auto .*, on or off/);
  assert.throws(() => parseSwarmSetting("x", "--swarm"), /: --swarm=x: use auto/);
});

Deno.test("parseRegistry takes registry addresses as image references start, and says what is wrong", () => {
  assert.equal(parseRegistry("registry.example.com:5000/"), "registry.example.com:5000");
  assert.equal(parseRegistry("172.26.0.1:39121"), "172.26.0.1:39121");
  assert.equal(parseRegistry("localhost:5000/team/sub"), "localhost:5000/team/sub");
  assert.equal(parseRegistry(" "), undefined);
  assert.throws(() => parseRegistry("http://reg:5000"), /without a scheme/);
  assert.throws(() => parseRegistry("Reg:5000"), /not a registry address/);
  assert.throws(() => parseRegistry("reg:5000/Team"), /FAASO_REGISTRY=reg:5000\/Team: not a registry address/);
});

Deno.test("withoutTag turns a tagged digest reference into the form RepoDigests list", () => {
  assert.equal(withoutTag("reg:5000/faaso-x:20261130T103024Z@sha256:abc"), "reg:5000/faaso-x@sha256:abc");
  assert.equal(withoutTag("reg:5000/faaso-x@sha256:abc"), "reg:5000/faaso-x@sha256:abc");
  assert.equal(withoutTag("faaso-x:20261130T103024Z"), "faaso-x:20261130T103024Z");
});
