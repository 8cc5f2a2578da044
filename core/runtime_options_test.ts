import assert from "node:assert/strict";
import { join } from "node:path";
import { FaasoError } from "./errors.ts";
import { BUILTIN_RUNTIMES, listRuntimes } from "./runtime.ts";
import { checkOptions, editDistance, readRuntimeOptions, type RuntimeOptions } from "./runtime_options.ts";

const DECLARED: RuntimeOptions = {
  ship_packages: {
    type: "list",
    pattern: "^[a-z0-9][a-z0-9+.-]+$",
    pattern_means: "a Debian package name",
    default: [],
    description: "packages",
  },
  workers: { type: "integer", min: 1, max: 64, default: 2, description: "workers" },
  build_args: { type: "map", default: {}, description: "args" },
  version: { type: "string", description: "no default" },
};

function problem(options: Record<string, unknown>): string {
  try {
    checkOptions(options, DECLARED, "python", "hello/funko.yml");
  } catch (error) {
    assert.ok(error instanceof FaasoError);
    return error.message;
  }
  assert.fail("no error");
}

Deno.test("checkOptions fills in defaults and keeps what the funko gave", () => {
  assert.deepEqual(checkOptions({ workers: 4 }, DECLARED, "python", "f"), {
    workers: 4,
    ship_packages: [],
    build_args: {},
  });
  assert.deepEqual(checkOptions({ build_args: { N: 3, ON: true } }, DECLARED, "python", "f").build_args, {
    N: "3",
    ON: "true",
  });
});

Deno.test("checkOptions: a mistyped option is named with the runtime's options and the closest one", () => {
  assert.equal(
    problem({ ship_pakages: ["curl"] }),
    "hello/funko.yml: options.ship_pakages: unknown option (the python runtime's options are ship_packages, " +
      "workers, build_args, version; did you mean ship_packages?)",
  );
  assert.match(
    problem({ colour: "red" }),
    /options\.colour: unknown option \(the python runtime's options are [^;]+\)$/,
  );
});

Deno.test("checkOptions: values of the wrong kind name the field and what to use", () => {
  assert.equal(problem({ workers: "two" }), "hello/funko.yml: options.workers: use a whole number");
  assert.equal(problem({ workers: 0 }), "hello/funko.yml: options.workers: use at least 1");
  assert.equal(
    problem({ ship_packages: "curl" }),
    "hello/funko.yml: options.ship_packages: use a list, such as [a, b]",
  );
  assert.equal(
    problem({ ship_packages: ["curl", "rm -rf /"] }),
    "hello/funko.yml: options.ship_packages.1: use a Debian package name",
  );
  assert.equal(
    problem({ build_args: { "A B": "x" } }),
    "hello/funko.yml: options.build_args.A B: name entries with letters, digits and '_'",
  );
  assert.equal(
    problem({ build_args: { A: "x\nRUN evil" } }),
    "hello/funko.yml: options.build_args.A: use a value on one line",
  );
  assert.match(
    problem({ workers: "x", colour: 1 }),
    /^hello\/funko\.yml: options\.workers: use a whole number; options\.colour: unknown option/,
  );
});

Deno.test("every built-in runtime declares its options, and its README documents exactly those", async () => {
  for (const runtime of await listRuntimes()) {
    const declared = await readRuntimeOptions(runtime.folder);
    assert.ok(declared, `${runtime.name} has an options.yml`);
    const readme = await Deno.readTextFile(join(runtime.folder, "README.md"));
    const table = readme.slice(readme.indexOf("## Options"));
    const documented = [...table.matchAll(/^\| `([a-z_]+)`/gm)].map((match) => match[1]).sort();
    assert.deepEqual(documented, Object.keys(declared).sort(), `${runtime.name}'s README options table`);
  }
});

Deno.test("a malformed options.yml is an error naming the file and the field", async () => {
  const folder = await Deno.makeTempDir({ prefix: "faaso-unit-" });
  try {
    await Deno.writeTextFile(join(folder, "options.yml"), "workers:\n  type: int\n  description: x\n");
    await assert.rejects(readRuntimeOptions(folder), (error: Error) => {
      assert.match(error.message, /options\.yml: workers\.type: /);
      return true;
    });
    await Deno.writeTextFile(
      join(folder, "options.yml"),
      "workers:\n  type: integer\n  default: two\n  description: x\n",
    );
    await assert.rejects(readRuntimeOptions(folder), /options\.yml: workers\.default: use a whole number/);
    assert.equal(await readRuntimeOptions(BUILTIN_RUNTIMES + "/nonexistent"), undefined);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("editDistance counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("ship_pakages", "ship_packages"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
});
