import assert from "node:assert/strict";
import { Output, terminalStyle, type TextSink } from "./output.ts";
import { TerminalStream } from "./terminal_stream.ts";

function env(values: Record<string, string>) {
  return { get: (name: string) => values[name] };
}

function memorySink(isTerminal: boolean): TextSink & { text: string } {
  const sink = { text: "", isTerminal, write: (text: string) => void (sink.text += text), columns: () => 80 };
  return sink;
}

Deno.test("terminalStyle: colours and spinner on a terminal; NO_COLOR, TERM=dumb and CI each take their part", () => {
  assert.deepEqual(terminalStyle(true, env({ TERM: "xterm-256color" })), { colors: true, spinner: true });
  assert.deepEqual(terminalStyle(true, env({ NO_COLOR: "1" })), { colors: false, spinner: true });
  assert.deepEqual(terminalStyle(true, env({ TERM: "dumb" })), { colors: false, spinner: false });
  assert.deepEqual(terminalStyle(true, env({ CI: "" })), { colors: true, spinner: false });
  assert.deepEqual(terminalStyle(false, env({})), { colors: false, spinner: false });
});

Deno.test("TerminalStream: what a tty.WriteStream writes to move the cursor and clear a line", () => {
  const sink = memorySink(true);
  const stream = new TerminalStream(sink);
  stream.cursorTo(0);
  stream.moveCursor(0, -1);
  stream.clearLine(1);
  stream.clearLine(0);
  stream.write("x");
  assert.equal(sink.text, "\x1b[1G\x1b[1A\x1b[0K\x1b[2Kx");
  assert.equal(stream.columns, 80);
  assert.equal(stream.isTTY, true);
});

Deno.test("Output.task without a spinner prints steps and output as plain lines, -q hides output", async () => {
  const stderr = memorySink(true);
  const output = new Output(memorySink(false), stderr, undefined, false);
  await output.task((progress) => {
    progress({ kind: "step", text: "Building" });
    progress({ kind: "output", text: "Step 1/2" });
    progress({ kind: "warning", text: "careful" });
    return Promise.resolve();
  });
  assert.equal(stderr.text, "==> Building\n    Step 1/2\nWarning: careful\n");
  const quiet = memorySink(true);
  await new Output(memorySink(false), quiet, undefined, false).task((progress) => {
    progress({ kind: "output", text: "Step 1/2" });
    return Promise.resolve();
  }, true);
  assert.equal(quiet.text, "");
});
