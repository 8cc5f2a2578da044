import assert from "node:assert/strict";
import type { ServerRequest } from "../../http1/mod.ts";
import { ProxyExchange } from "../proxy/observer.ts";
import { type AccessEntry, AccessLog, formatAccessLine } from "./access_log.ts";
import { TrafficRecorder } from "./recorder.ts";
import { Traffic } from "./traffic.ts";

const ENTRY: AccessEntry = {
  time: Date.UTC(2026, 10, 30, 9, 5, 7, 123),
  funko: "hello",
  instance: "faaso-hello-abc123",
  method: "GET",
  path: '/funko/hello/a b"c',
  status: 200,
  bytes: 12,
  durationMs: 1.23456,
  client: "10.1.2.3",
};

Deno.test("formatAccessLine writes JSON with every field", () => {
  assert.deepEqual(JSON.parse(formatAccessLine(ENTRY, "json")), {
    time: "2026-11-30T09:05:07.123Z",
    funko: "hello",
    instance: "faaso-hello-abc123",
    method: "GET",
    path: '/funko/hello/a b"c',
    status: 200,
    bytes: 12,
    duration_ms: 1.235,
    client: "10.1.2.3",
  });
});

Deno.test("formatAccessLine writes the common log format, quotes and spaces escaped", () => {
  assert.equal(
    formatAccessLine(ENTRY, "common"),
    '10.1.2.3 - - [30/Nov/2026:09:05:07 +0000] "GET /funko/hello/a\\x20b\\x22c HTTP/1.1" 200 12 ' +
      "funko=hello instance=faaso-hello-abc123 duration_ms=1.235",
  );
});

function request(method: string, target: string, headers: [string, string][] = []): ServerRequest {
  return {
    method,
    target,
    headers,
    body: null,
    remoteAddr: { transport: "tcp", hostname: "127.0.0.9", port: 4000 },
    header: (name: string) => headers.find(([key]) => key === name)?.[1],
  } as unknown as ServerRequest;
}

function exchange(funko: string, known: boolean): ProxyExchange {
  const it = new ProxyExchange(performance.now() - 5);
  it.funko = funko;
  it.known = known;
  return it;
}

Deno.test("TrafficRecorder logs each answer without query, headers or body, and counts only known funkos", async () => {
  const path = await Deno.makeTempFile({ prefix: "faaso-access-" });
  try {
    const log = await AccessLog.open({ destination: path, format: "json" });
    const traffic = new Traffic();
    const recorder = new TrafficRecorder(traffic, log);
    const secretHeaders: [string, string][] = [["authorization", "Bearer SECRET-TOKEN"], [
      "cookie",
      "sid=SECRET-COOKIE",
    ]];
    const body = new TextEncoder().encode("SECRET-BODY-BYTES");
    recorder.answered(request("POST", "/funko/hello/x?token=SECRET-QUERY", secretHeaders), exchange("hello", true), {
      status: 201,
      headers: [],
      body,
    });
    recorder.answered(request("HEAD", "/funko/hello/"), exchange("hello", true), { status: 200, headers: [], body });
    recorder.answered(request("GET", "/funko/nope/"), exchange("nope", false), { status: 404, headers: [], body });
    // A streamed answer is logged at its end, with the bytes that went out.
    const chunks = [new Uint8Array(1000), new Uint8Array(24)];
    const streamed = recorder.answered(request("GET", "/funko/hello/big"), exchange("hello", true), {
      status: 200,
      headers: [],
      body: new ReadableStream({ pull: (c) => chunks.length ? c.enqueue(chunks.shift()!) : c.close() }),
    });
    assert.ok(streamed.body instanceof ReadableStream);
    assert.equal((await new Response(streamed.body).arrayBuffer()).byteLength, 1024);
    await log.close();
    const text = await Deno.readTextFile(path);
    for (const secret of ["SECRET-TOKEN", "SECRET-COOKIE", "SECRET-BODY", "SECRET-QUERY"]) {
      assert.ok(!text.includes(secret), `${secret} is not in the log`);
    }
    const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => [l.method, l.path, l.status, l.bytes, l.client]),
      [
        ["POST", "/funko/hello/x", 201, 17, "127.0.0.9"],
        ["HEAD", "/funko/hello/", 200, 0],
        ["GET", "/funko/nope/", 404, 17],
        ["GET", "/funko/hello/big", 200, 1024],
      ].map(([m, p, s, b]) => [m, p, s, b, "127.0.0.9"]),
    );
    assert.ok(lines.every((line) => line.duration_ms >= 5), "durations count from the request's arrival");
    assert.deepEqual([...traffic.entries()].map(([name]) => name), ["hello"], "no series for an unknown name");
    assert.equal(traffic.unknownRequests, 1);
    assert.equal(traffic.get("hello")!.codes.get(200)!.duration.count, 2);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("AccessLog.open names the file it cannot open", async () => {
  await assert.rejects(
    AccessLog.open({ destination: "/no/such/folder/access.log" }),
    /Cannot open the access log \/no\/such\/folder\/access\.log: /,
  );
});
