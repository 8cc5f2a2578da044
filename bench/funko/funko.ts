import { Hono } from "hono";

const app = new Hono();
const instance = Deno.env.get("FAASO_INSTANCE") ?? "unknown";
// 1,000,000 bytes, made once.
const megabyte = new Uint8Array(1_000_000).fill(120);

// A short text: the proxy benchmarks.
app.get("/", (c) => c.text("Hello from bench-hello"));

// 1 MB: throughput through the proxy.
app.get("/mb", () => new Response(megabyte, { headers: { "content-type": "application/octet-stream" } }));

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
