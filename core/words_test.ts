import assert from "node:assert/strict";
import { counted, waitText } from "./words.ts";

Deno.test("counted: singular for 1, plural otherwise, irregular plurals given", () => {
  assert.equal(counted(1, "instance"), "1 instance");
  assert.equal(counted(0, "instance"), "0 instances");
  assert.equal(counted(3, "old one"), "3 old ones");
  assert.equal(counted(2, "process", "processes"), "2 processes");
});

Deno.test("waitText: seconds under two minutes, else whole minutes rounded up", () => {
  assert.equal(waitText(1), "1 second");
  assert.equal(waitText(45), "45 seconds");
  assert.equal(waitText(119), "119 seconds");
  assert.equal(waitText(121), "3 minutes");
  assert.equal(waitText(900), "15 minutes");
});
