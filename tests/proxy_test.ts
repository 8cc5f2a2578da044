/**
 * `faaso serve` in its image: remote build and scale from the host, balancing,
 * failover, streaming both ways, SSE, WebSocket, errors, and refused uploads.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { createTarPacker } from "modern-tar";
import {
  cleanupFunko,
  fileTimeLimit,
  instancesOf,
  ROOT,
  testDocker,
  timedFetch,
  uniqueName,
  waitUntil,
} from "./helpers.ts";
import { execInProxy, savedToken, startProxy } from "./proxy_helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 12 });

const ECHO = join(ROOT, "tests", "fixtures", "echo");

interface RouteView {
  id: string;
  name: string;
  ready: boolean;
}

Deno.test("faaso serve in its image: remote build, balancing, streaming, failover", async (t) => {
  using docker = testDocker();
  await using proxy = await startProxy(docker, { env: { FAASO_UPSTREAM_TIMEOUT: "2" } });
  const token = await savedToken(proxy);
  const name = uniqueName("it-echo");
  const base = `${proxy.url}/funko/${name}`;
  const routes = async (): Promise<RouteView[]> => {
    const response = await timedFetch(`${proxy.url}/admin/api/routes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return (await response.json())[name] ?? [];
  };
  try {
    await t.step("remote build and scale to 2 from the host", async () => {
      const built = await proxy.cli(["build", ECHO, "--name", name, "-q"]);
      assert.equal(built.code, 0, built.stderr);
      assert.match(built.stdout, new RegExp(`Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest`));
      const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
      assert.equal(image?.Config.Labels?.["faaso.runtime"], "deno");
      const scaled = await proxy.cli(["scale", name, "2"]);
      assert.equal(scaled.code, 0, scaled.stderr);
      assert.match(scaled.stdout, new RegExp(`${name}: 2 instances running`));
      await waitUntil(async () => (await routes()).filter((r) => r.ready).length === 2, "2 ready routes");
    });

    await t.step("200 requests are spread over both instances", async () => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 200; i++) {
        const response = await timedFetch(`${base}/`);
        assert.equal(response.status, 200);
        const instance = await response.text();
        seen.set(instance, (seen.get(instance) ?? 0) + 1);
      }
      const names = (await instancesOf(docker, name)).map((i) => i.name).sort();
      assert.deepEqual([...seen.keys()].sort(), names);
      for (const count of seen.values()) assert.ok(count >= 50, `balanced: ${[...seen.values()]}`);
    });

    await t.step("the path is stripped, the query kept, X-Forwarded-* added, hop-by-hop headers dropped", async () => {
      const response = await timedFetch(`${base}/echo/a/b?x=1&y=2`, {
        method: "POST",
        headers: { connection: "x-private", "x-private": "secret", "keep-alive": "timeout=5", "x-kept": "yes" },
        body: "payload",
      });
      const echoed = await response.json();
      assert.equal(new URL(echoed.url).pathname + new URL(echoed.url).search, "/echo/a/b?x=1&y=2");
      assert.equal(echoed.method, "POST");
      assert.equal(echoed.body, "payload");
      assert.equal(echoed.headers["x-kept"], "yes");
      assert.equal(echoed.headers["x-private"], undefined);
      assert.equal(echoed.headers["keep-alive"], undefined);
      assert.equal(echoed.headers["x-forwarded-prefix"], `/funko/${name}`);
      assert.equal(echoed.headers["x-forwarded-proto"], "http");
      assert.equal(echoed.headers["x-forwarded-host"], new URL(proxy.url).host);
      assert.match(echoed.headers["x-forwarded-for"], /^\d+\.\d+\.\d+\.\d+$/);
    });

    await t.step("/funko/NAME redirects to /funko/NAME/ keeping the query", async () => {
      const response = await timedFetch(`${base}?a=1`, { redirect: "manual" });
      await response.body?.cancel();
      assert.equal(response.status, 308);
      assert.equal(response.headers.get("location"), `/funko/${name}/?a=1`);
    });

    await t.step("a 100 MB upload and download go through with the checksum intact", async () => {
      const size = 100_000_000;
      const [upload, expected] = patternStream(size, 7);
      const sent = await timedFetch(`${base}/sha256`, { method: "POST", body: upload, timeoutMs: 180_000 });
      const result = await sent.json();
      assert.deepEqual(result, { size, sha256: await expected });

      const download = await timedFetch(`${base}/bytes/${size}`, { timeoutMs: 180_000 });
      const hash = createHash("sha256");
      let received = 0;
      for await (const chunk of download.body!) {
        hash.update(chunk);
        received += chunk.byteLength;
      }
      assert.equal(received, size);
      assert.equal(hash.digest("hex"), bytesDigest(size));
      const memory = await containerMemory(docker, proxy.id);
      assert.ok(memory < 200e6, `the proxy stayed small after 200 MB went through: ${memory} bytes`);
    });

    await t.step("server-sent events arrive as they are produced", async () => {
      const response = await timedFetch(`${base}/sse`);
      assert.equal(response.headers.get("content-type"), "text/event-stream");
      const arrivals: number[] = [];
      let text = "";
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        arrivals.push(Date.now());
        text += chunk;
      }
      assert.equal(text.match(/data: tick/g)?.length, 5);
      assert.ok(arrivals.length >= 3, `events came in ${arrivals.length} pieces, not all at the end`);
      assert.ok(arrivals.at(-1)! - arrivals[0]! >= 400, "the first event came well before the last");
    });

    await t.step("a client that goes away aborts the request to the instance", async () => {
      const tag = crypto.randomUUID().slice(0, 8);
      const abort = new AbortController();
      const response = await timedFetch(`${base}/hold/${tag}`, { signal: abort.signal });
      const reader = response.body!.getReader();
      assert.equal((await reader.read()).done, false, "the stream has started");
      abort.abort();
      await reader.cancel().catch(() => {});
      await waitUntil(
        async () => (await proxy.cli(["logs", name])).stdout.includes(`hold ${tag} cancelled`),
        "the instance to see the cancel",
        10_000,
      );
    });

    await t.step("a gzip answer reaches the client intact", async () => {
      const response = await timedFetch(`${base}/gzip`);
      assert.equal(await response.text(), "compressed hello ".repeat(100));
    });

    await t.step("a WebSocket is relayed both ways, with its handshake's headers and subprotocol", async () => {
      const socket = new WebSocket(`${base.replace("http", "ws")}/ws`, {
        protocols: ["chat.v2", "chat.v1"],
        headers: { cookie: "session=abc" },
      });
      const messages: string[] = [];
      const arrived = (count: number) =>
        waitUntil(() => Promise.resolve(messages.length >= count), `${count} messages`);
      socket.onmessage = (event) => messages.push(event.data);
      await new Promise((resolve, reject) => {
        socket.onopen = resolve;
        socket.onerror = () => reject(new Error("WebSocket error"));
      });
      assert.equal(socket.protocol, "chat.v1", "the instance's choice of subprotocol");
      await arrived(1);
      assert.equal(messages[0], "cookie: session=abc", "the handshake's cookie reached the instance");
      socket.send("hello over the proxy");
      await arrived(2);
      assert.equal(messages[1], "echo: hello over the proxy");
      const closed = new Promise((resolve) => socket.onclose = resolve);
      socket.close();
      await closed;
    });

    await t.step("an upstream that does not answer in time gets 504", async () => {
      const response = await timedFetch(`${base}/slow/5`);
      const body = await response.json();
      assert.equal(response.status, 504);
      assert.equal(body.error.code, "upstream_timeout");
    });

    await t.step("after docker kill of one instance, no request fails once the event is seen", async () => {
      const [victim, survivor] = await instancesOf(docker, name);
      await docker.containers.kill(victim!.id);
      await waitUntil(async () => !(await routes()).some((r) => r.id === victim!.id && r.ready), "the kill to be seen");
      const answers = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const response = await timedFetch(`${base}/`);
        assert.equal(response.status, 200, `request ${i}`);
        answers.add(await response.text());
      }
      assert.deepEqual([...answers], [survivor!.name]);
    });

    await t.step("with no instance: 503 with Retry-After; unknown funko: 404 JSON", async () => {
      const down = await proxy.cli(["down", name]);
      assert.equal(down.code, 0, down.stderr);
      await waitUntil(async () => (await routes()).length === 0, "the routes to empty");
      const none = await timedFetch(`${base}/`);
      assert.equal(none.status, 503);
      assert.ok(Number(none.headers.get("retry-after")) > 0);
      assert.equal((await none.json()).error.code, "no_instance");
      const unknown = await timedFetch(`${proxy.url}/funko/no-such-funko-here/`);
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers.get("content-type") ?? "", /application\/json/);
      assert.equal((await unknown.json()).error.code, "unknown_funko");
      // Not funko names at all: a 404 too, never a question to the engine (which answered 400, so 500).
      for (const path of ["/funko/%00/", "/funko/Upper/", "/funko/a..b/"]) {
        const bad = await timedFetch(`${proxy.url}${path}`);
        assert.equal(bad.status, 404, path);
        assert.equal((await bad.json()).error.code, "unknown_funko", path);
      }
    });

    await t.step("a wrong password gets 401, the admin API without a token 401", async () => {
      const wrong = await timedFetch(`${proxy.url}/admin/api/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ password: "not the password" }),
      });
      assert.equal(wrong.status, 401);
      assert.equal((await wrong.json()).error.code, "bad_password");
      const anonymous = await timedFetch(`${proxy.url}/admin/api/funkos`);
      assert.equal(anonymous.status, 401);
      assert.equal((await anonymous.json()).error.code, "unauthorized");
      const cli = await proxy.cli(["login"], { stdin: "nope\n" });
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /Cannot log in to .*: Wrong password/);
    });

    await t.step("build contexts with ../, absolute paths or links are refused; nothing is written", async () => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ["dotdot", { name: "../../../../tmp/evil-dotdot", size: 4 }, /paths with '\.\.' are not allowed/],
        ["absolute", { name: "/tmp/evil-absolute", size: 4 }, /absolute paths are not allowed/],
        [
          "symlink",
          { name: "link", type: "symlink", linkname: "/etc/passwd", size: 0 },
          /symlink entries are not allowed/,
        ],
      ];
      for (const [label, header, message] of cases) {
        const body = await tarGz([{ name: "Dockerfile", size: 12 }, "FROM scratch"], [header, "evil"]);
        const response = await timedFetch(`${proxy.url}/admin/api/funkos/${name}/build`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
          body,
        });
        const answer = await response.json();
        assert.equal(response.status, 400, label);
        assert.match(answer.error.message, message, label);
      }
      const files = await execInProxy(proxy, "ls -A /data/uploads; ls /tmp/evil-* 2>/dev/null | wc -l");
      assert.equal(files.output.trim(), "0", `no upload left and nothing outside: ${files.output}`);
    });

    await t.step("a remote build that fails exits non-zero with the engine's message", async () => {
      const folder = await Deno.makeTempDir({ prefix: "faaso-test-" });
      try {
        await Deno.writeTextFile(join(folder, "funko.yml"), `name: ${name}\n`);
        await Deno.writeTextFile(join(folder, "Dockerfile"), "FROM debian:bookworm-slim\nRUN exit 7\n");
        const before = await docker.images.inspectOrNull(`faaso-${name}:latest`);
        const run = await proxy.cli(["build", folder]);
        assert.equal(run.code, 1);
        assert.match(run.stderr, /Cannot build .*returned a non-zero code: 7/);
        assert.equal((await docker.images.inspectOrNull(`faaso-${name}:latest`))?.Id, before?.Id, "latest kept");
      } finally {
        await Deno.remove(folder, { recursive: true });
      }
    });

    await t.step("remote status, logs and rm read like local ones", async () => {
      assert.equal((await proxy.cli(["up", name])).code, 0);
      const status = JSON.parse((await proxy.cli(["status", name, "--json"])).stdout);
      assert.equal(status.name, name);
      assert.equal(status.scale, 1);
      await waitUntil(async () => (await routes()).some((r) => r.ready), "a ready route");
      const logs = await proxy.cli(["logs", name]);
      assert.match(logs.stdout, new RegExp(`faaso-${name}-[a-z0-9]{6} \\| ${name} \\(deno\\) listening on port 3000`));
      const removed = await proxy.cli(["rm", name, "--yes"]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
      assert.equal((await docker.images.list({ reference: [`faaso-${name}`] })).length, 0);
      const missing = await proxy.cli(["status", name]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`No funko named ${name}`));
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});

/** A stream of `size` pseudo-random bytes, made block by block, and a promise of its SHA-256. */
function patternStream(size: number, seed: number): [ReadableStream<Uint8Array>, Promise<string>] {
  const hash = createHash("sha256");
  let sent = 0;
  const { promise, resolve } = Promise.withResolvers<string>();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) {
        resolve(hash.digest("hex"));
        controller.close();
        return;
      }
      const n = Math.min(1 << 20, size - sent);
      const block = new Uint8Array(n).map((_, i) => (i * 31 + seed + sent) & 0xff);
      hash.update(block);
      controller.enqueue(block);
      sent += n;
    },
  });
  return [stream, promise];
}

/** The SHA-256 of what the echo funko's GET /bytes/SIZE sends: i % 251 in each 64 KiB block. */
function bytesDigest(size: number): string {
  const block = new Uint8Array(65536).map((_, i) => i % 251);
  const hash = createHash("sha256");
  for (let sent = 0; sent < size; sent += block.length) {
    hash.update(block.subarray(0, Math.min(block.length, size - sent)));
  }
  return hash.digest("hex");
}

async function containerMemory(docker: ReturnType<typeof testDocker>, id: string): Promise<number> {
  const stats = await docker.transport.json<{ memory_stats: { usage: number; stats?: { cache?: number } } }>(
    "GET",
    `/containers/${id}/stats`,
    { query: { stream: "0" } },
  );
  return stats.memory_stats.usage - (stats.memory_stats.stats?.cache ?? 0);
}

async function tarGz(...entries: [Record<string, unknown>, string][]): Promise<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  for (const [header, body] of entries) {
    const sink = controller.add(header as unknown as Parameters<typeof controller.add>[0]);
    const writer = sink.getWriter();
    if (body && header.type !== "symlink") await writer.write(new TextEncoder().encode(body));
    await writer.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}
