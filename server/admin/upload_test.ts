import assert from "node:assert/strict";
import { entryProblem } from "./upload.ts";

Deno.test("entryProblem accepts files and folders inside the context", () => {
  for (const name of ["Dockerfile", "./main.ts", "src/", "src/deep/file.ts", "a..b/c"]) {
    assert.equal(entryProblem(name, name.endsWith("/") ? "directory" : "file"), undefined, name);
  }
});

Deno.test("entryProblem refuses escapes, absolute paths, links and devices", () => {
  assert.match(entryProblem("../x", "file")!, /'\.\.'/);
  assert.match(entryProblem("a/../../x", "file")!, /'\.\.'/);
  assert.match(entryProblem("./..", "directory")!, /'\.\.'/);
  assert.match(entryProblem("/etc/passwd", "file")!, /absolute/);
  for (const type of ["symlink", "link", "character-device", "block-device", "fifo"]) {
    assert.match(entryProblem("x", type)!, /entries are not allowed/, type);
  }
});
