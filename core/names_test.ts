import assert from "node:assert/strict";
import { buildTag, instanceName, isSpareName, spareName, takenSpareName } from "./names.ts";

Deno.test("buildTag: the newest timestamp tag of the funko's repository, whatever the engine's order", () => {
  const tags = ["faaso-a:20261130T090000Z", "faaso-a:latest", "faaso-a:20261130T100000Z", "other:20271130T100000Z"];
  assert.equal(buildTag(tags, "a"), "faaso-a:20261130T100000Z");
  assert.equal(buildTag(tags.toReversed(), "a"), "faaso-a:20261130T100000Z");
  assert.equal(buildTag(["faaso-a:latest", "faaso-a:mine"], "a"), "faaso-a:latest");
  assert.equal(buildTag(null, "a"), "faaso-a:latest");
});

Deno.test("spare names: a spare of its own funko only, never a serving instance", () => {
  assert.ok(isSpareName("a", spareName("a")));
  assert.ok(!isSpareName("a", instanceName("a")));
  // The funko comes from the container's label: faaso-a-spare-xxxxxx of funko "a-spare" serves.
  assert.ok(!isSpareName("a-spare", instanceName("a-spare")));
  assert.ok(isSpareName("a-spare", spareName("a-spare")));
  assert.ok(!isSpareName("a", "faaso-a-spare-abc"));
  assert.equal(takenSpareName("a", "faaso-a-spare-k2j4m1"), "faaso-a-k2j4m1");
});
