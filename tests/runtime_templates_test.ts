/**
 * What can be checked of every runtime without building it: `faaso new`
 * output, `-r list`, and the Dockerfile each renders with default and custom
 * options. tests/crystal_test.ts builds and runs the crystal runtime for real.
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
  for (const line of lines) {
    const [name, ...title] = line.split(/\s+/);
    assert.match(line, /^\w+ {2,}\S.{10,}$/, `a title: ${line}`);
    assert.ok(!title.join(" ").startsWith(`${name}:`), `the name said once: ${line}`);
  }
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

Deno.test("crystal: the build fetches from GITHUB_MIRROR when set, else github.com, with the legacy builder", async () => {
  await using folder = await tempFolder();
  await faasoOk(["new", "-r", "crystal", "hello"], { cwd: folder.path });
  await faasoOk(["export", "hello", "plain"], { cwd: folder.path });
  const dockerfile = await Deno.readTextFile(join(folder.path, "plain", "Dockerfile"));
  // Declared after the packages, so that the apt layer stays cached whatever the mirror.
  assert.ok(dockerfile.indexOf("ARG GITHUB_MIRROR=") > dockerfile.indexOf("apt-get install"));
  assert.match(dockerfile, /github="\$\{GITHUB_MIRROR:-https:\/\/github\.com\}"/);
  assert.match(dockerfile, /curl -fsSL "\$github\/crystal-lang\/shards\/archive\/refs\/tags\/v0\.17\.1\.tar\.gz"/);
  assert.match(
    dockerfile,
    /"MOLINILLO_URL=\$github\/crystal-lang\/crystal-molinillo\/archive\/v\\\$\(MOLINILLO_VERSION\)\.tar\.gz"/,
  );
  assert.match(dockerfile, /url\."\$\{GITHUB_MIRROR%\/\}\/"\.insteadOf https:\/\/github\.com\//);
  assert.ok(dockerfile.indexOf("insteadOf") < dockerfile.indexOf("shards install"));
  // Nothing only BuildKit understands: the engine here has the legacy builder.
  assert.doesNotMatch(dockerfile, /^# *syntax=|--mount=|--link|<<[A-Z]/m);
});
