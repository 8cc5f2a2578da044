import assert from "node:assert/strict";
import { buildFailure, isImageReference, splitImageReference } from "./images.ts";

Deno.test("buildFailure finds the errorDetail line of a failed build", () => {
  assert.equal(
    buildFailure({
      errorDetail: { message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", code: 3 },
      error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
    }),
    "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
  );
  assert.equal(buildFailure({ error: "no errorDetail, still a failure\n" }), "no errorDetail, still a failure");
});

Deno.test("buildFailure passes progress lines", () => {
  assert.equal(buildFailure({ stream: "Step 1/3 : FROM debian\n" }), undefined);
  assert.equal(buildFailure({ aux: { ID: "sha256:1" } }), undefined);
  assert.equal(buildFailure({ status: "Downloading" }), undefined);
});

Deno.test("isImageReference takes what the engine takes", () => {
  const good = [
    "nginx",
    "nginx:1.27",
    "library/nginx:1.27-alpine",
    "registry.example.com/team/app:1.4",
    "localhost:5000/app",
    "127.0.0.1:43795/it/app:v1",
    "Registry.Example.com:443/a/b_c__d-e.f:Tag_1.0",
    `app@sha256:${"a".repeat(64)}`,
    `host:5000/app:1@sha256:${"b".repeat(64)}`,
  ];
  for (const reference of good) assert.ok(isImageReference(reference), reference);
  const bad = ["", "Nginx", "app:", ":1", "app:1:2", "app@sha256:short", "a//b", "-app", "app-", "a b", "app:-x"];
  for (const reference of bad) assert.equal(isImageReference(reference), false, reference);
});

Deno.test("splitImageReference gives the repository and the tag or digest to pull, latest by default", () => {
  assert.deepEqual(splitImageReference("nginx"), { repository: "nginx", tag: "latest" });
  assert.deepEqual(splitImageReference("localhost:5000/app"), { repository: "localhost:5000/app", tag: "latest" });
  assert.deepEqual(splitImageReference("localhost:5000/app:v2"), { repository: "localhost:5000/app", tag: "v2" });
  const digest = `sha256:${"c".repeat(64)}`;
  assert.deepEqual(splitImageReference(`team/app:1@${digest}`), { repository: "team/app", tag: digest });
  assert.throws(() => splitImageReference("Not A Ref"), /Cannot pull Not A Ref: not an image reference/);
});
