import assert from "node:assert/strict";
import { jsonLines, LineStream, type LogChunk, LogDemuxStream, LogLineStream } from "./streams.ts";

function frame(type: number, text: string): Uint8Array {
  const payload = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(4, payload.length);
  out.set(payload, 8);
  return out;
}

function streamOf<T>(chunks: T[]): ReadableStream<T> {
  return ReadableStream.from(chunks);
}

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  return await Array.fromAsync(stream);
}

function decode(chunks: LogChunk[]): string[] {
  return chunks.map((c) => `${c.stream}:${new TextDecoder().decode(c.data)}`);
}

Deno.test("LogDemuxStream separates stdout and stderr frames", async () => {
  const bytes = [frame(1, "out 1\n"), frame(2, "err 1\n"), frame(1, "out 2\n")];
  const chunks = await collect(streamOf(bytes).pipeThrough(new LogDemuxStream()));
  assert.deepEqual(decode(chunks), ["stdout:out 1\n", "stderr:err 1\n", "stdout:out 2\n"]);
});

Deno.test("LogDemuxStream joins headers and payloads split across chunks", async () => {
  const whole = new Uint8Array([...frame(1, "hello\n"), ...frame(2, "world\n")]);
  // Every possible split point, including inside the 8-byte header.
  for (let cut = 1; cut < whole.length; cut++) {
    const chunks = await collect(streamOf([whole.slice(0, cut), whole.slice(cut)]).pipeThrough(new LogDemuxStream()));
    assert.deepEqual(decode(chunks), ["stdout:hello\n", "stderr:world\n"], `cut at ${cut}`);
  }
  // One byte at a time.
  const bytes = Array.from(whole, (b) => new Uint8Array([b]));
  assert.deepEqual(decode(await collect(streamOf(bytes).pipeThrough(new LogDemuxStream()))), [
    "stdout:hello\n",
    "stderr:world\n",
  ]);
});

Deno.test("LogDemuxStream passes TTY output through as stdout", async () => {
  const raw = new TextEncoder().encode("\x01\x00raw tty bytes\n");
  const chunks = await collect(streamOf([raw]).pipeThrough(new LogDemuxStream(true)));
  assert.deepEqual(decode(chunks), ["stdout:\x01\x00raw tty bytes\n"]);
});

Deno.test("LogDemuxStream fails on a cut frame at the end", async () => {
  const cut = frame(1, "incomplete").slice(0, 12);
  await assert.rejects(collect(streamOf([cut]).pipeThrough(new LogDemuxStream())), /cut frame/);
});

Deno.test("LogLineStream joins lines cut across frames, per stream", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const chunks: LogChunk[] = [
    { stream: "stdout", data: enc("first ha") },
    { stream: "stderr", data: enc("oops\n") },
    { stream: "stdout", data: enc("lf\r\nsecond") },
  ];
  const lines = await collect(streamOf(chunks).pipeThrough(new LogLineStream()));
  assert.deepEqual(lines, [
    { stream: "stderr", text: "oops" },
    { stream: "stdout", text: "first half" },
    { stream: "stdout", text: "second" },
  ]);
});

Deno.test("LogLineStream keeps a UTF-8 character split across chunks", async () => {
  const bytes = new TextEncoder().encode("héllo\n");
  const chunks: LogChunk[] = [{ stream: "stdout", data: bytes.slice(0, 2) }, {
    stream: "stdout",
    data: bytes.slice(2),
  }];
  assert.deepEqual(await collect(streamOf(chunks).pipeThrough(new LogLineStream())), [{
    stream: "stdout",
    text: "héllo",
  }]);
});

Deno.test("LineStream emits the last line without a newline", async () => {
  assert.deepEqual(await collect(streamOf(["a\nb", "c\n", "d"]).pipeThrough(new LineStream())), ["a", "bc", "d"]);
});

Deno.test("jsonLines parses lines split anywhere and skips blank ones", async () => {
  const text = '{"stream":"Step 1/2"}\n\n{"aux":{"ID":"sha256:abc"}}\n';
  const bytes = new TextEncoder().encode(text);
  const parts = [bytes.slice(0, 5), bytes.slice(5, 30), bytes.slice(30)];
  assert.deepEqual(await collect(jsonLines(streamOf(parts))), [{ stream: "Step 1/2" }, { aux: { ID: "sha256:abc" } }]);
});

Deno.test("jsonLines names a line that is not JSON", async () => {
  await assert.rejects(collect(jsonLines(streamOf([new TextEncoder().encode("not json\n")]))), /not JSON: not json/);
});
