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

export default app;
