import assert from "node:assert/strict";
import { parseBuildArg } from "./build.ts";

Deno.test("parseBuildArg splits at the first =", () => {
  assert.deepEqual(parseBuildArg("A=1"), { A: "1" });
  assert.deepEqual(parseBuildArg("URL=http://x?a=b"), { URL: "http://x?a=b" });
  assert.deepEqual(parseBuildArg("EMPTY="), { EMPTY: "" });
  assert.throws(() => parseBuildArg("NOVALUE"), /--build-arg NOVALUE: use KEY=VALUE/);
  assert.throws(() => parseBuildArg("=x"), /use KEY=VALUE/);
});
