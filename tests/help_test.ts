/**
 * Help as a person reads it: every command described, grouped in a useful
 * order, with examples and environment variables; one style of error.
 */
import assert from "node:assert/strict";
import { faaso, faasoOk } from "./helpers.ts";

Deno.test("the main help groups commands in the order a person meets them, with examples and environment", async () => {
  const { stdout } = await faasoOk(["--help"]);
  const headings = stdout.split("\n").filter((line) => /^[A-Z][\w ,]+:$/.test(line));
  assert.deepEqual(headings, [
    "Options:",
    "Make and run funkos:",
    "The server, and working on one:",
    "Other:",
    "Examples:",
    "Environment:",
  ]);
  const commands = stdout.split("\n").map((line) => /^ {2}([a-z]+) /.exec(line)?.[1]).filter(Boolean);
  assert.deepEqual(
    commands.slice(0, 10),
    ["new", "build", "up", "down", "scale", "sleep", "wake", "deploy", "status", "logs"],
  );
  for (const variable of ["FAASO_SERVER", "FAASO_TOKEN", "FAASO_URL", "FAASO_DATA", "FAASO_PORT", "DOCKER_HOST"]) {
    assert.match(stdout, new RegExp(`^ {2}.*${variable}`, "m"), variable);
  }
});

Deno.test("every command's help has a description, not only a summary", async () => {
  for (
    const command of ["up", "down", "scale", "sleep", "wake", "logs", "logout", "version", "invoke", "completions"]
  ) {
    const { stdout } = await faasoOk([command, "--help"]);
    const [usage, blank, description] = stdout.split("\n");
    assert.match(usage!, new RegExp(`^Usage: faaso ${command} `), command);
    assert.equal(blank, "", command);
    assert.match(description!, /^[A-Z].{30,}/, `${command}: ${stdout}`);
  }
});

Deno.test("scale's help says the count is optional", async () => {
  const { stdout } = await faasoOk(["scale", "--help"]);
  assert.match(stdout, /^Usage: faaso scale \[options\] <name> \[count\]$/m);
  assert.match(stdout, /Without COUNT, print how many instances of NAME run/);
  assert.match(stdout, /^Examples:\n {2}faaso scale hello\n {2}faaso scale hello 3$/m);
});

Deno.test("new -r list names each runtime once, with its title", async () => {
  const { stdout } = await faasoOk(["new", "-r", "list"]);
  const lines = stdout.trimEnd().split("\n");
  assert.ok(lines.some((line) => /^deno +Hono on Deno 2/.test(line)), stdout);
  for (const line of lines) {
    const [name, ...rest] = line.split(/\s+/);
    assert.ok(!rest.join(" ").startsWith(`${name}:`), `the name twice: ${line}`);
  }
});

Deno.test("usage errors read like FaaSO's own: 'Error:' and a capital, exit 2", async () => {
  const unknown = await faaso(["bogus"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^Error: Unknown command 'bogus'/);
  const missing = await faaso(["build"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^Error: Missing required argument 'folders'/);
  const option = await faaso(["status", "--bogus"]);
  assert.match(option.stderr, /^Error: Unknown option '--bogus'/);
  for (const run of [unknown, missing, option]) assert.doesNotMatch(run.stderr, /(^|\n)error:/);
});
