/**
 * What `faaso build`'s flags promise, as a user runs them: `--json` prints
 * results that parse and name each image; several folders build at once;
 * `--no-cache` runs every step again; `--no-runtime` builds the folder as it
 * is, with its own Dockerfile; and `faaso new -r PATH` makes a funko from a
 * runtime folder of the user's own, which then builds. Every image here is
 * FROM the local debian:bookworm-slim with no package installed: seconds each.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Docker } from "../docker/mod.ts";
import {
  cleanupFunko,
  faaso,
  faasoOk,
  fileTimeLimit,
  runCommand,
  tempFolder,
  testDocker,
  uniqueName,
} from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 10 });

const STAMP = /^faaso-[a-z0-9-]+:\d{8}T\d{6}Z$/;

/** A Dockerfile-only funko: its RUN step writes the time, so a step run again gives another layer. */
async function writeDockerfileFunko(folder: string, name: string): Promise<void> {
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(join(folder, "funko.yml"), `name: ${name}\n`);
  await Deno.writeTextFile(
    join(folder, "Dockerfile"),
    'FROM debian:bookworm-slim\nRUN date +%s%N > /built-at\nCOPY . /app\nCMD ["cat", "/built-at"]\n',
  );
}

/** The diff IDs of the image's layers, base first. */
async function layersOf(docker: Docker, image: string): Promise<string[]> {
  const inspect = await docker.images.inspectOrNull(image);
  assert.ok(inspect, `${image} exists`);
  return (inspect as unknown as { RootFS: { Layers: string[] } }).RootFS.Layers;
}

/** What `ls -A /app` lists in a container of the image (which is removed again). */
async function appFiles(image: string): Promise<string[]> {
  const run = await runCommand("docker", ["run", "--rm", "--entrypoint", "ls", image, "-A", "/app"], {
    timeoutMs: 60_000,
  });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim().split("\n").sort();
}

Deno.test("build --json of several folders at once; an unchanged rebuild; --no-cache runs every step again", async (t) => {
  using docker = testDocker();
  await using work = await tempFolder();
  const [one, two] = [uniqueName("it-flags-a"), uniqueName("it-flags-b")];
  try {
    await writeDockerfileFunko(join(work.path, "a"), one);
    await writeDockerfileFunko(join(work.path, "b"), two);
    let first: { funko: string; imageId: string; tags: string[] }[] = [];

    await t.step("build a b --json: one parsable JSON array naming each image, nothing else on stdout", async () => {
      const run = await faasoOk(["build", "a", "b", "--json", "-q"], { cwd: work.path });
      first = JSON.parse(run.stdout);
      assert.ok(Array.isArray(first), `an array: ${run.stdout}`);
      assert.deepEqual(first.map((result) => result.funko), [one, two], "one result per folder, in order");
      for (const result of first) {
        const image = await docker.images.inspectOrNull(`faaso-${result.funko}:latest`);
        assert.equal(image?.Id, result.imageId, "imageId is the image latest names");
        assert.equal(result.tags.length, 2, `${result.tags}`);
        assert.ok(result.tags.includes(`faaso-${result.funko}:latest`), `${result.tags}`);
        const stamp = result.tags.find((tag) => tag !== `faaso-${result.funko}:latest`)!;
        assert.match(stamp, STAMP);
        assert.ok(image?.RepoTags.includes(stamp), `${stamp} in ${image?.RepoTags}`);
        assert.match((result as unknown as { sourceHash: string }).sourceHash, /^[0-9a-f]{64}$/);
        assert.equal((result as unknown as { unchanged: boolean }).unchanged, false);
      }
    });

    await t.step("an unchanged rebuild uses the layer cache: the same image, unchanged in --json", async () => {
      const run = await faasoOk(["build", "a", "--json", "-q"], { cwd: work.path });
      const [again] = JSON.parse(run.stdout);
      assert.equal(again.imageId, first[0]!.imageId);
      assert.equal(again.unchanged, true);
    });

    await t.step("--no-cache runs the RUN step again: a new layer, a new image and tag", async () => {
      const before = await layersOf(docker, `faaso-${one}:latest`);
      const run = await faasoOk(["build", "a", "--no-cache", "--json", "-q"], { cwd: work.path });
      const [rebuilt] = JSON.parse(run.stdout);
      assert.equal(rebuilt.unchanged, false);
      assert.notEqual(rebuilt.imageId, first[0]!.imageId, "another image");
      const after = await layersOf(docker, `faaso-${one}:latest`);
      assert.equal(after[0], before[0], "the same base image");
      assert.notEqual(after[1], before[1], "the RUN step's layer was made again, not taken from the cache");
      const tags = (await docker.images.list({ reference: [`faaso-${one}`] })).flatMap((i) => i.RepoTags ?? []);
      assert.equal(tags.filter((tag) => STAMP.test(tag)).length, 2, `two builds: ${tags}`);
    });

    await t.step("several folders stop at the first that fails, naming it; those before it are built", async () => {
      await Deno.mkdir(join(work.path, "broken"));
      const run = await faaso(["build", "b", "broken", "-q"], { cwd: work.path });
      assert.equal(run.code, 1);
      assert.match(run.stdout, new RegExp(`(Built |Nothing changed: )faaso-${two}:`));
      assert.match(run.stderr, /broken/);
    });
  } finally {
    await cleanupFunko(docker, one);
    await cleanupFunko(docker, two);
  }
});

Deno.test("build --no-runtime builds the folder as it is: its own Dockerfile, nothing of the runtime", async () => {
  using docker = testDocker();
  await using work = await tempFolder();
  const name = uniqueName("it-noruntime");
  const folder = join(work.path, name);
  try {
    // A funko of the deno runtime that has a Dockerfile of its own (as after faaso export, edited).
    await faasoOk(["new", "-r", "deno", name], { cwd: work.path });
    await Deno.writeTextFile(join(folder, "Dockerfile"), "FROM debian:bookworm-slim\nCOPY . /app\n");

    await faasoOk(["build", name, "-q"], { cwd: work.path });
    const merged = await appFiles(`faaso-${name}:latest`);
    assert.ok(merged.includes("main.ts"), `without the flag the runtime's files are merged in: ${merged}`);
    assert.equal((await docker.images.inspectOrNull(`faaso-${name}:latest`))?.Config.Labels?.["faaso.runtime"], "deno");

    await faasoOk(["build", name, "--no-runtime", "-q"], { cwd: work.path });
    const own = await appFiles(`faaso-${name}:latest`);
    assert.deepEqual(own, ["Dockerfile", "deno.json", "funko.ts", "funko.yml"], "only the folder's own files");
    const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
    assert.equal(image?.Config.Labels?.["faaso.funko"], name);
    assert.equal(image?.Config.Labels?.["faaso.runtime"], "", "no runtime in its labels");

    // Without a Dockerfile of its own, --no-runtime has nothing to build: a clear error, no image.
    await Deno.remove(join(folder, "Dockerfile"));
    const before = (await docker.images.list({ reference: [`faaso-${name}`] })).length;
    const run = await faaso(["build", name, "--no-runtime", "-q"], { cwd: work.path });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`Cannot build ${name}: no Dockerfile`));
    assert.equal((await docker.images.list({ reference: [`faaso-${name}`] })).length, before, "no new image");
  } finally {
    await cleanupFunko(docker, name);
  }
});

Deno.test("new -r PATH: a funko from a runtime folder of one's own, which then builds from any folder", async () => {
  using docker = testDocker();
  await using work = await tempFolder();
  const name = uniqueName("it-ownrt");
  const runtime = join(work.path, "runtimes", "tiny");
  try {
    await Deno.mkdir(join(runtime, "template"), { recursive: true });
    await Deno.writeTextFile(join(runtime, "README.md"), "# tiny: a runtime of the test's own\n");
    await Deno.writeTextFile(
      join(runtime, "options.yml"),
      "greeting:\n  type: string\n  default: hello\n  description: The greeting.\n",
    );
    await Deno.writeTextFile(
      join(runtime, "Dockerfile.j2"),
      'FROM debian:bookworm-slim\nLABEL it.greeting="{{ options.greeting }}"\nCOPY . /app\n' +
        'CMD ["cat", "/app/hello.txt"]\n',
    );
    await Deno.writeTextFile(join(runtime, "skeleton.txt"), "from the runtime\n");
    await Deno.writeTextFile(join(runtime, "template", "hello.txt.j2"), "{{ name }} says hi\n");

    // The user's funkos live in another folder than the runtime: ../runtimes/tiny from there.
    await Deno.mkdir(join(work.path, "funkos"));
    const cwd = join(work.path, "funkos");
    const created = await faasoOk(["new", "-r", "../runtimes/tiny", name], { cwd });
    assert.match(
      created.stdout,
      new RegExp(`Created ${name}/ \\(runtime \\.\\./runtimes/tiny\\): funko\\.yml, hello\\.txt`),
    );
    assert.equal(await Deno.readTextFile(join(cwd, name, "hello.txt")), `${name} says hi\n`, "the template rendered");

    // The build finds the runtime wherever it runs from: from the funko's own folder, and from its parent.
    const inside = await faasoOk(["build", ".", "--json", "-q"], { cwd: join(cwd, name) });
    assert.equal(JSON.parse(inside.stdout)[0].funko, name);
    await faasoOk(["build", name, "-q"], { cwd });
    const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
    assert.equal(image?.Config.Labels?.["it.greeting"], "hello", "the runtime's options.yml default");
    assert.deepEqual(await appFiles(`faaso-${name}:latest`), ["Dockerfile", "funko.yml", "hello.txt", "skeleton.txt"]);
  } finally {
    await cleanupFunko(docker, name);
  }
});
