import assert from "node:assert/strict";
import { buildTag } from "./names.ts";

Deno.test("buildTag: the newest timestamp tag of the funko's repository, whatever the engine's order", () => {
  const tags = ["faaso-a:20261130T090000Z", "faaso-a:latest", "faaso-a:20261130T100000Z", "other:20271130T100000Z"];
  assert.equal(buildTag(tags, "a"), "faaso-a:20261130T100000Z");
  assert.equal(buildTag(tags.toReversed(), "a"), "faaso-a:20261130T100000Z");
  assert.equal(buildTag(["faaso-a:latest", "faaso-a:mine"], "a"), "faaso-a:latest");
  assert.equal(buildTag(null, "a"), "faaso-a:latest");
});
