import assert from "node:assert/strict";
import { nextRun, previousRun, Schedule, scheduleStatus } from "./schedule.ts";

Deno.test("Schedule names entries METHOD PATH by default and reads cron expressions in UTC", () => {
  const [entry] = Schedule.parse([{ cron: "0 3 * * *", path: "/report" }]);
  assert.equal(entry!.name, "GET /report");
  assert.equal(nextRun(entry!, new Date("2026-01-01T00:00:00Z"))?.toISOString(), "2026-01-01T03:00:00.000Z");
});

Deno.test("nextRun follows the entry's time zone, daylight saving included", () => {
  const [entry] = Schedule.parse([{ cron: "0 3 * * *", timezone: "Europe/Berlin" }]);
  assert.equal(nextRun(entry!, new Date("2026-01-10T00:00:00Z"))?.toISOString(), "2026-01-10T02:00:00.000Z");
  assert.equal(nextRun(entry!, new Date("2026-07-10T00:00:00Z"))?.toISOString(), "2026-07-10T01:00:00.000Z");
});

Deno.test("previousRun is the last planned time before a moment", () => {
  const [entry] = Schedule.parse([{ cron: "*/15 * * * *" }]);
  assert.equal(previousRun(entry!, new Date("2026-01-01T10:20:00Z"))?.toISOString(), "2026-01-01T10:15:00.000Z");
});

Deno.test("Schedule refuses bad cron expressions, time zones and repeated names", () => {
  const result = Schedule.safeParse([
    { name: "a", cron: "* * *" },
    { name: "b", cron: "* * * * *", timezone: "Nowhere/Land" },
    { name: "a", cron: "@hourly" },
  ]);
  assert.equal(result.success, false);
  const messages = result.error!.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  assert.match(messages[0]!, /^0\.cron: "\* \* \*" is not a cron expression: .*\(entry "a"\)$/);
  assert.match(messages[1]!, /^1\.timezone: "Nowhere\/Land" is not an IANA time zone/);
  assert.match(messages[2]!, /^2\.name: two entries are named "a"/);
});

Deno.test("scheduleStatus joins entries with their last run", () => {
  const entries = Schedule.parse([{ name: "tick", cron: "* * * * *", method: "POST", path: "/t" }]);
  const [status] = scheduleStatus(entries, [{
    funko: "f",
    entry: "tick",
    lastPlanned: Date.parse("2026-01-01T00:00:00Z"),
    lastStarted: Date.parse("2026-01-01T00:00:00.004Z"),
    lastFinished: Date.parse("2026-01-01T00:00:00.050Z"),
    lastResult: "200",
    lastOk: true,
    runs: 3,
    skipped: 1,
  }], new Date("2026-01-01T00:00:30Z"));
  assert.deepEqual(status, {
    name: "tick",
    cron: "* * * * *",
    timezone: "UTC",
    request: "POST /t",
    catchUp: false,
    next: "2026-01-01T00:01:00.000Z",
    last: "2026-01-01T00:00:00.000Z",
    lastResult: "200",
    lastOk: true,
    running: false,
    runs: 3,
    skipped: 1,
  });
});
