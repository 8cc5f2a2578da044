// The deno runtime's app skeleton: FaaSO owns this file, the funko owns funko.ts.
// Routes come from funko.ts (a Hono app); this file adds GET /ping and listens on 3000.
import { Hono } from "hono";
import funko from "./funko.ts";

const app = new Hono();
app.get("/ping", (c) => c.text("OK"));
app.route("/", funko);

const name = Deno.env.get("FAASO_FUNKO") ?? "funko";
const server = Deno.serve({
  hostname: "0.0.0.0",
  port: 3000,
  onListen: ({ port }) => console.log(`${name} (deno) listening on port ${port}`),
}, app.fetch);

// As PID 1 in its container, Deno does not stop on SIGTERM by itself: finish the
// requests in flight, then exit cleanly (docker stop, faaso scale, faaso deploy).
for (const signal of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(signal, () => server.shutdown());
await server.finished;
Deno.exit(0);
