import assert from "node:assert/strict";
import type { ImageInspect } from "../docker/mod.ts";
import { imageReference, replacementName } from "./container_repair.ts";

const image = (id: string, tags: string[]): ImageInspect => ({
  Id: id,
  RepoTags: tags,
  Created: "2026-11-30T00:00:00Z",
  Size: 1,
  Config: { Labels: null, Env: null },
});

Deno.test("replacementName: one name per old instance, so two repairers make one replacement", async () => {
  const a = await replacementName("hello", "abc123");
  // The name earlier versions derived (node:crypto's SHA-256): a server and a CLI of different versions agree.
  assert.equal(a, "faaso-hello-2c3juh");
  assert.equal(await replacementName("hello", "abc123"), a);
  assert.notEqual(await replacementName("hello", "abc124"), a);
});

Deno.test("imageReference: latest when it is still the same image, else its newest build tag, else its ID", () => {
  const built = image("sha256:1", ["faaso-hello:latest", "faaso-hello:20261130T100000Z"]);
  assert.equal(imageReference(built, "hello", "sha256:1"), "faaso-hello:latest");
  const older = image("sha256:1", ["faaso-hello:20261129T100000Z", "faaso-hello:20261130T100000Z", "other:1"]);
  assert.equal(imageReference(older, "hello", "sha256:2"), "faaso-hello:20261130T100000Z");
  assert.equal(imageReference(image("sha256:1", ["other:1"]), "hello", "sha256:2"), "sha256:1");
});
