import assert from "node:assert/strict";
import { join } from "node:path";
import { renderTemplate, writeContext } from "./context.ts";
import { type Funko, parseManifest } from "./funko.ts";
import { FaasoError } from "./errors.ts";

async function tree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "faaso-unit-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return root;
}

function funkoAt(folder: string, runtime?: string, options: Record<string, unknown> = {}): Funko {
  return { ...parseManifest("name: hello"), runtime, options, folder };
}

Deno.test("writeContext merges runtime and funko, the funko's files winning", async () => {
  const runtime = await tree({
    "Dockerfile.j2": "FROM base\n# {{ name }} {{ options.extra or 'none' }} {{ healthcheck.interval }}\n",
    "main.ts": "runtime main",
    "shared.txt": "runtime copy",
    "README.md": "# a runtime",
    "template/funko.ts": "template only",
  });
  const funko = await tree({
    "funko.yml": "name: hello",
    "shared.txt": "funko copy",
    "lib/util.ts.j2": "// {{ name }}",
  });
  const dest = await Deno.makeTempDir();
  try {
    const context = await writeContext(funkoAt(funko, runtime, { extra: "curl" }), dest);
    assert.deepEqual(context.files.map((f) => f.relative), [
      "Dockerfile",
      "funko.yml",
      "lib/util.ts",
      "main.ts",
      "shared.txt",
    ]);
    assert.equal(await Deno.readTextFile(join(dest, "Dockerfile")), "FROM base\n# hello curl 5s\n");
    assert.equal(await Deno.readTextFile(join(dest, "shared.txt")), "funko copy");
    assert.equal(await Deno.readTextFile(join(dest, "lib/util.ts")), "// hello");
    assert.match(context.hash, /^[0-9a-f]{64}$/);
  } finally {
    for (const path of [runtime, funko, dest]) await Deno.remove(path, { recursive: true });
  }
});

Deno.test("writeContext gives equal hashes for equal sources and different ones otherwise", async () => {
  const funko = await tree({ "funko.yml": "name: hello", "Dockerfile": "FROM scratch\n" });
  const [a, b, c] = [await Deno.makeTempDir(), await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const first = await writeContext(funkoAt(funko), a);
    const second = await writeContext(funkoAt(funko), b);
    assert.equal(first.hash, second.hash);
    await Deno.writeTextFile(join(funko, "Dockerfile"), "FROM scratch\nCMD x\n");
    assert.notEqual((await writeContext(funkoAt(funko), c)).hash, first.hash);
  } finally {
    for (const path of [funko, a, b, c]) await Deno.remove(path, { recursive: true });
  }
});

Deno.test("writeContext keeps executable bits and skips .git", async () => {
  const funko = await tree({ "Dockerfile": "FROM scratch\n", "run.sh": "#!/bin/sh\n", ".git/config": "x" });
  await Deno.chmod(join(funko, "run.sh"), 0o755);
  const dest = await Deno.makeTempDir();
  try {
    const context = await writeContext(funkoAt(funko), dest);
    assert.deepEqual(context.files.map((f) => [f.relative, f.mode]), [["Dockerfile", 0o644], ["run.sh", 0o755]]);
  } finally {
    for (const path of [funko, dest]) await Deno.remove(path, { recursive: true });
  }
});

Deno.test("writeContext refuses a funko without runtime or Dockerfile", async () => {
  const funko = await tree({ "funko.yml": "name: hello" });
  const dest = await Deno.makeTempDir();
  try {
    await assert.rejects(writeContext(funkoAt(funko), dest), (error: Error) => {
      assert.ok(error instanceof FaasoError);
      assert.match(error.message, /Cannot build hello: no Dockerfile/);
      return true;
    });
  } finally {
    for (const path of [funko, dest]) await Deno.remove(path, { recursive: true });
  }
});

Deno.test("renderTemplate names the template in syntax errors", () => {
  assert.throws(
    () => renderTemplate("{% if %}", { name: "a", runtime: "r", options: {} }, "runtimes/x/Dockerfile.j2"),
    /Cannot render runtimes\/x\/Dockerfile\.j2: /,
  );
});
