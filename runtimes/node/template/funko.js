// Your code. Add routes to this Express Router; FaaSO serves it on port 3000
// and answers GET /ping for health checks. Docs: https://expressjs.com
"use strict";
const express = require("express");

const router = express.Router();

router.get("/", (_req, res) => res.type("text/plain").send("Hello World Node!"));

module.exports = router;
