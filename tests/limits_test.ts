/**
 * The time limits of limits.ts: a test file that hangs fails with a message
 * naming what was in flight, its cleanups run, and the next file still runs;
 * a request and a subprocess that outlive their timeout fail saying so.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fileTimeLimit, ROOT, runCommand, tempFolder, timedFetch } from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 3 });

const LIMITS = pathToFileURL(join(ROOT, "tests", "limits.ts")).href;

Deno.test("a test file over its time limit fails with what was in flight, runs its cleanups, and the next file runs", async () => {
  await using folder = await tempFolder();
  const marker = join(folder.path, "cleaned");
  await Deno.writeTextFile(
    join(folder.path, "hang_test.ts"),
    `import { fileTimeLimit, onTimeLimit, runCommand } from "${LIMITS}";
fileTimeLimit(import.meta.url, { minutes: 0.03 });
onTimeLimit(() => Deno.writeTextFile(${JSON.stringify(marker)}, "yes"));
Deno.test("hangs", async () => { await runCommand("sleep", ["20"], { label: "the sleeping helper" }); });
Deno.test("never reached", () => {});
`,
  );
  await Deno.writeTextFile(join(folder.path, "next_test.ts"), `Deno.test("the next file runs", () => {});\n`);
  const run = await runCommand(Deno.execPath(), ["test", "-A", "--no-check", "hang_test.ts", "next_test.ts"], {
    cwd: folder.path,
    env: { ...Deno.env.toObject(), NO_COLOR: "1", FAASO_TEST_TIME_SCALE: "1" },
    timeoutMs: 60_000,
  });
  const output = run.stdout + run.stderr;
  assert.notEqual(run.code, 0, output);
  assert.match(
    output,
    /hang_test\.ts ran over its time limit of 2 s; still in flight:\n {2}the sleeping helper \(for \d+ s\)/,
  );
  assert.match(output, /the next file runs \.\.\. ok/);
  assert.match(output, /FAILED \| 1 passed \| \d+ failed/, "Deno's summary is printed");
  assert.equal(await Deno.readTextFile(marker), "yes", "the cleanup ran");
});

Deno.test("runCommand stops a command that outlives its kill timer and says so", async () => {
  const started = Date.now();
  const run = await runCommand("sleep", ["30"], { timeoutMs: 300, label: "sleep for the test" });
  assert.ok(Date.now() - started < 10_000, "stopped long before it ended");
  assert.equal(run.timedOut, true);
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /sleep for the test was stopped after 300 ms/);
});

Deno.test("timedFetch fails with the URL and the limit when no answer comes", async () => {
  // A listener that accepts connections and never answers.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  const url = `http://127.0.0.1:${listener.addr.port}/silent`;
  try {
    await assert.rejects(() => timedFetch(url, { timeoutMs: 300 }), new RegExp(`GET ${url}: no answer within 300 ms`));
  } finally {
    for (const conn of held) conn.close();
    listener.close();
    await accepting;
  }
});
