// The node runtime's app skeleton: FaaSO owns this file, the funko owns funko.js.
// Routes come from funko.js (an Express Router, or a function that takes the app);
// this file adds GET /ping and listens on 3000.
"use strict";
const express = require("express");
const funko = require("./funko.js");

const app = express();
app.disable("x-powered-by");
app.get("/ping", (_req, res) => res.type("text/plain").send("OK"));
if (typeof funko?.handle === "function") app.use(funko); // a Router (or a whole Express app)
else if (typeof funko === "function") funko(app); // (app) => { app.get(...) }
else throw new Error("funko.js must export an Express Router or a function (app) => {...}");

const name = process.env.FAASO_FUNKO || "funko";
const server = app.listen(3000, "0.0.0.0", () => console.log(`${name} (node) listening on port 3000`));

// As PID 1, node ignores SIGTERM unless it handles it: take no new connections, finish the requests in
// flight however long they take (the engine's stop timeout, the funko's drain, is the limit), then exit.
function stop() {
  server.close(() => process.exit(0));
  // Node 18's close() leaves keep-alive connections open: close each one as soon as it is idle.
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 100).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
