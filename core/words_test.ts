import assert from "node:assert/strict";
import { counted } from "./words.ts";

Deno.test("counted: singular for 1, plural otherwise, irregular plurals given", () => {
  assert.equal(counted(1, "instance"), "1 instance");
  assert.equal(counted(0, "instance"), "0 instances");
  assert.equal(counted(3, "old one"), "3 old ones");
  assert.equal(counted(2, "process", "processes"), "2 processes");
});
