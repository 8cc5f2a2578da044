import assert from "node:assert/strict";
import { BuildLog } from "./build_log.ts";

/** A two-stage build as the classic builder prints it (taken from a real run), ending in a failure. */
const FAILED = [
  "Step 1/8 : FROM debian:bookworm-slim AS build",
  " ---> 428ffd7cd459",
  "Step 2/8 : RUN apt-get update",
  " ---> Using cache",
  " ---> 9b2f0c1d2e3f",
  "Step 3/8 : RUN echo built > /x",
  " ---> Running in 1bc870efe667",
  "Removing intermediate container 1bc870efe667",
  " ---> 473b9ec40beb",
  "Step 4/8 : FROM debian:bookworm-slim",
  " ---> 428ffd7cd459",
  "Step 5/8 : COPY --from=build /x /x",
  " ---> 1b9ed43df58e",
  "Step 6/8 : RUN node --check funko.js",
  " ---> Running in d041c520933f",
  "/home/app/funko.js:3",
  "  app.get('/', (req, res) => res.send('hi')",
  "SyntaxError: missing ) after argument list",
];

Deno.test("BuildLog: the failing step is the last one, with its own output only", () => {
  const log = new BuildLog();
  for (const line of FAILED) log.line(line);
  const step = log.failingStep();
  assert.equal(step?.number, 6);
  assert.equal(step?.total, 8);
  assert.equal(step?.instruction, "RUN node --check funko.js");
  assert.deepEqual(step?.output, [
    "/home/app/funko.js:3",
    "  app.get('/', (req, res) => res.send('hi')",
    "SyntaxError: missing ) after argument list",
  ]);
});

Deno.test("BuildLog: new images exclude cached steps and FROM bases", () => {
  const log = new BuildLog();
  for (const line of FAILED) log.line(line);
  assert.deepEqual(log.newImages(), ["473b9ec40beb", "1b9ed43df58e"]);
});

Deno.test("BuildLog: build stages are the earlier stages that made an image of their own", () => {
  const log = new BuildLog();
  for (const line of FAILED) log.line(line);
  for (const line of [" ---> 72bcaee3af67", "Step 7/8 : FROM debian AS ship", " ---> 428ffd7cd459"]) log.line(line);
  assert.deepEqual(log.stages.map((stage) => stage.name), ["build", "stage1", "ship"]);
  assert.deepEqual(log.buildStages(), [
    { name: "build", base: "428ffd7cd459", image: "473b9ec40beb" },
    { name: "stage1", base: "428ffd7cd459", image: "72bcaee3af67" },
  ]);
});

Deno.test("BuildLog: a stage that is only a FROM (an image to copy from) is no build stage", () => {
  const log = new BuildLog();
  for (
    const line of [
      "Step 1/3 : FROM denoland/deno:bin-2.9.6 AS deno",
      " ---> a62c2fbb6456",
      "Step 2/3 : FROM --platform=linux/amd64 debian:bookworm-slim",
      " ---> 428ffd7cd459",
      "Step 3/3 : COPY --from=deno /deno /usr/local/bin/deno",
      " ---> 0123456789ab",
    ]
  ) log.line(line);
  assert.deepEqual(log.stages.map((stage) => stage.name), ["deno", "stage1"]);
  assert.deepEqual(log.buildStages(), []);
});

Deno.test("BuildLog: lines before the first step are ignored", () => {
  const log = new BuildLog();
  log.line("Sending build context to Docker daemon");
  assert.equal(log.failingStep(), undefined);
  assert.deepEqual(log.newImages(), []);
});

Deno.test("BuildLog: colour codes are dropped, so the builder's own lines are still recognised", () => {
  const log = new BuildLog();
  for (
    const line of [
      "Step 11/18 : RUN deno cache main.ts",
      " ---> Running in 3c1b76cbc918",
      "\x1b[91m\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: SyntaxError: Expected ',', got ';'",
      "\x1b[0mRemoving intermediate container 3c1b76cbc918",
    ]
  ) log.line(line);
  assert.deepEqual(log.failingStep()?.output, ["error: SyntaxError: Expected ',', got ';'"]);
});
