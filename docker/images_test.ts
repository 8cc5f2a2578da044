import assert from "node:assert/strict";
import { buildFailure } from "./images.ts";

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
