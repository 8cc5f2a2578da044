import { Hono } from "hono";

const app = new Hono();
const instance = Deno.env.get("FAASO_INSTANCE") ?? "unknown";
// 1,000,000 bytes, made once.
const megabyte = new Uint8Array(1_000_000).fill(120);

// A short text: the proxy benchmarks.
app.get("/", (c) => c.text("Hello from bench-hello"));

// 1 MB: throughput through the proxy.
app.get("/mb", () => new Response(megabyte, { headers: { "content-type": "application/octet-stream" } }));

// N bytes (at most 2 GiB) with a Content-Length, made in 64 KiB pieces as a file would be read: large downloads.
const piece = new Uint8Array(64 * 1024).fill(120);
app.get("/bytes/:n", (c) => {
  const total = Number(c.req.param("n"));
  if (!Number.isInteger(total) || total < 0 || total > 2 ** 31) return c.text("Use /bytes/N, N at most 2 GiB", 400);
  let left = total;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left === 0) return controller.close();
      const n = Math.min(left, piece.length);
      controller.enqueue(n === piece.length ? piece : piece.subarray(0, n));
      left -= n;
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers: { "content-type": "application/octet-stream", "content-length": `${total}` } });
});

// Reads the request's body and answers how many bytes it had: large uploads.
app.post("/sink", async (c) => {
  let bytes = 0;
  for await (const chunk of c.req.raw.body ?? []) bytes += chunk.length;
  return c.text(String(bytes));
});

// Which instance answered: balancing and route convergence.
app.get("/whoami", (c) => c.text(instance));

// Arrival times by key, for async calls (X-Call-Id) and scheduled runs (X-Faaso-Planned): scenarios 9 and 10.
const stamps = new Map<string, { at: number; id?: string; planned?: string }[]>();
app.post("/stamp/:key", (c) => {
  const list = stamps.get(c.req.param("key")) ?? [];
  stamps.set(c.req.param("key"), list);
  list.push({ at: Date.now(), id: c.req.header("x-call-id"), planned: c.req.header("x-faaso-planned") });
  return c.text("stamped");
});
app.get("/stamps/:key", (c) => c.json(stamps.get(c.req.param("key")) ?? []));

export default app;
