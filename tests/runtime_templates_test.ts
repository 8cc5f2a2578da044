/**
 * What can be checked of every runtime without building it: `faaso new`
 * output, `-r list`, and the Dockerfile each renders with default and custom
 * options. For crystal this is all that runs here: Kemal lives on GitHub.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { faasoOk, fileTimeLimit, tempFolder } from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 5 });

const RUNTIMES = ["crystal", "deno", "node", "python"];

Deno.test("new -r list shows every runtime with its README title", async () => {
  const run = await faasoOk(["new", "-r", "list"]);
  const lines = run.stdout.trim().split("\n");
  assert.deepEqual(lines.map((line) => line.split(/\s+/)[0]), RUNTIMES);
  for (const line of lines) assert.match(line, /^\w+\s+\w+: .{10,}/, `a title: ${line}`);
});

for (const runtime of RUNTIMES) {
  Deno.test(`${runtime} runtime renders a complete Dockerfile, with default and custom options`, async () => {
    await using folder = await tempFolder();
    await faasoOk(["new", "-r", runtime, "hello"], { cwd: folder.path });
    await faasoOk(["export", "hello", "plain"], { cwd: folder.path });
    const plain = await Deno.readTextFile(join(folder.path, "plain", "Dockerfile"));
    for (const dockerfile of [plain]) {
      assert.doesNotMatch(dockerfile, /\{\{|\{%|\{#/, "no template syntax left");
      assert.match(dockerfile, /^FROM debian:bookworm-slim/m);
      assert.match(dockerfile, /^EXPOSE 3000$/m);
      assert.match(dockerfile, /^USER app$/m);
      assert.match(dockerfile, /^HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \\$/m);
      assert.match(dockerfile, /GET \/ping/);
      assert.match(dockerfile, /^CMD \[/m);
    }

    const manifest = join(folder.path, "hello", "funko.yml");
    await Deno.writeTextFile(
      manifest,
      `name: hello\nruntime: ${runtime}\noptions:\n  ship_packages: [curl, jq]\n  build_args:\n    GREETING: hi\n` +
        `healthcheck:\n  command: curl -fs http://localhost:3000/ping\n  interval: 7s\n  retries: 5\n`,
    );
    await faasoOk(["export", "hello", "custom"], { cwd: folder.path });
    const custom = await Deno.readTextFile(join(folder.path, "custom", "Dockerfile"));
    assert.match(custom, /apt-get install -y --no-install-recommends[^\n]* curl jq/);
    assert.match(custom, /^ARG GREETING=hi$/m);
    assert.match(custom, /^HEALTHCHECK --interval=7s --timeout=3s --start-period=30s --retries=5 \\$/m);
    assert.match(custom, /^ {2}CMD curl -fs http:\/\/localhost:3000\/ping$/m);
  });
}

Deno.test("crystal: new writes the seed's example funko", async () => {
  await using folder = await tempFolder();
  await faasoOk(["new", "-r", "crystal", "hello"], { cwd: folder.path });
  const code = await Deno.readTextFile(join(folder.path, "hello", "funko.cr"));
  assert.match(code, /get "\/" do\s+"Hello World Crystal!"\s+end/);
  const manifest = await Deno.readTextFile(join(folder.path, "hello", "funko.yml"));
  assert.match(manifest, /^name: hello$/m);
  assert.match(manifest, /^runtime: crystal$/m);
  const shard = await Deno.readTextFile(join(folder.path, "hello", "shard.yml"));
  assert.match(shard, /kemal/);
});
