/**
 * Bad input: a clear message naming what is wrong and where, a non-zero exit,
 * and nothing lost or left behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, fileTimeLimit, sandbox, tempFolder, testDocker, uniqueName } from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 10 });

/** Temporary build folders the CLI made in this test file's TMPDIR (its sandbox) and has not removed. */
async function buildFolders(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(sandbox().tmp)) {
    if (entry.name.startsWith("faaso-build-")) found.push(entry.name);
  }
  return found.sort();
}

Deno.test("build of a folder without funko.yml says so and exits 1", async () => {
  await using folder = await tempFolder();
  await Deno.mkdir(join(folder.path, "empty"));
  const run = await faaso(["build", "empty"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /empty\/funko\.yml not found: a funko is a folder with a funko\.yml/);
  assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, "no stack trace");
});

Deno.test("build of a funko with an invalid name names the file and the field", async () => {
  await using folder = await tempFolder();
  await Deno.mkdir(join(folder.path, "hello"));
  await Deno.writeTextFile(join(folder.path, "hello", "funko.yml"), "name: Hello_World\nruntime: deno\n");
  const run = await faaso(["build", "hello"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /hello\/funko\.yml: name: use lowercase letters, digits and '-' \(1-63 characters/);
});

Deno.test("build of a funko.yml with a typo in a field name names the field", async () => {
  await using folder = await tempFolder();
  await Deno.mkdir(join(folder.path, "hello"));
  await Deno.writeTextFile(join(folder.path, "hello", "funko.yml"), "name: hello\nruntim: deno\n");
  const run = await faaso(["build", "hello"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /hello\/funko\.yml: unknown field runtim/);
});

Deno.test("new with an invalid name creates nothing", async () => {
  await using folder = await tempFolder();
  const run = await faaso(["new", "-r", "deno", "Bad_Name"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Cannot create the funko Bad_Name: name: use lowercase letters/);
  assert.deepEqual([...Deno.readDirSync(folder.path)], []);
});

Deno.test("an unknown runtime is named with the ones that exist", async () => {
  await using folder = await tempFolder();
  const created = await faaso(["new", "-r", "cobol", "hello"], { cwd: folder.path });
  assert.equal(created.code, 1);
  assert.match(created.stderr, /Unknown runtime cobol: the runtimes are .*deno.*node.*python/);
  assert.deepEqual([...Deno.readDirSync(folder.path)], [], "no folder left behind");

  await Deno.mkdir(join(folder.path, "hello"));
  await Deno.writeTextFile(join(folder.path, "hello", "funko.yml"), "name: hello\nruntime: cobol\n");
  const built = await faaso(["build", "hello"], { cwd: folder.path });
  assert.equal(built.code, 1);
  assert.match(built.stderr, /Unknown runtime cobol/);
});

Deno.test("new refuses a folder that exists and keeps its content", async () => {
  await using folder = await tempFolder();
  await Deno.mkdir(join(folder.path, "hello"));
  await Deno.writeTextFile(join(folder.path, "hello", "mine.txt"), "keep me");
  const run = await faaso(["new", "-r", "deno", "hello"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /hello already exists/);
  assert.equal(await Deno.readTextFile(join(folder.path, "hello", "mine.txt")), "keep me");
});

Deno.test("build keeps latest when the Dockerfile fails, and leaves nothing behind", async () => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-broken");
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    await faasoOk(["build", name], { cwd: folder.path });
    const before = await docker.images.inspectOrNull(`faaso-${name}:latest`);
    assert.ok(before);
    const tagsBefore = (await docker.images.list({ reference: [`faaso-${name}`] })).flatMap((i) => i.RepoTags ?? []);
    const foldersBefore = await buildFolders();

    // A funko that brings a Dockerfile whose RUN step fails; the step names the funko, so that the
    // builder's container for it (if one were left) is told apart from everything else on the engine.
    await Deno.writeTextFile(
      join(folder.path, name, "Dockerfile"),
      `FROM debian:bookworm-slim\nRUN echo about to fail ${name} && exit 3\n`,
    );
    const run = await faaso(["build", name], { cwd: folder.path });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(
        `Cannot build ${name}: The command '/bin/sh -c echo about to fail ${name} && exit 3' returned a non-zero code: 3`,
      ),
    );
    assert.match(run.stderr, /about to fail/, "the engine's output reaches the user");

    const after = await docker.images.inspectOrNull(`faaso-${name}:latest`);
    assert.equal(after?.Id, before.Id, "latest still points at the good image");
    const tagsAfter = (await docker.images.list({ reference: [`faaso-${name}`] })).flatMap((i) => i.RepoTags ?? []);
    assert.deepEqual(tagsAfter.sort(), tagsBefore.sort(), "no new tag");
    const left = (await docker.containers.list()).filter((c) => (c as { Command?: string }).Command?.includes(name));
    assert.deepEqual(left.map((c) => c.Id), [], "no container of the failed step left");
    assert.deepEqual(await buildFolders(), foldersBefore, "the temporary build folder is gone");
  } finally {
    await cleanupFunko(docker, name);
  }
});

Deno.test("up of a funko never built says to build it", async () => {
  using docker = testDocker();
  const name = uniqueName("it-unbuilt");
  const run = await faaso(["up", name]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    new RegExp(`Cannot run ${name}: there is no image faaso-${name}:latest \\(build it with faaso build FOLDER\\)`),
  );
  assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
});

Deno.test("scale with a count that is not a number is refused", async () => {
  const run = await faaso(["scale", "hello", "three"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Cannot scale hello to three: use a whole number/);
});

Deno.test("rm without --yes and without a yes on stdin removes nothing", async () => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-keep");
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    await faasoOk(["build", name, "-q"], { cwd: folder.path });
    const refused = await faaso(["rm", name], { stdin: "n\n" });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Did not remove/);
    assert.ok(await docker.images.inspectOrNull(`faaso-${name}:latest`), "the image is still there");
    const closed = await faaso(["rm", name]);
    assert.equal(closed.code, 1, "no stdin counts as no");
    const confirmed = await faaso(["rm", name], { stdin: "y\n" });
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.equal(await docker.images.inspectOrNull(`faaso-${name}:latest`), null);
  } finally {
    await cleanupFunko(docker, name);
  }
});

Deno.test("an unreachable engine gets a message saying what to check", async () => {
  const run = await faaso(["status"], { env: { DOCKER_HOST: "unix:///nonexistent/docker.sock" } });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Cannot reach the Docker engine at unix:\/\/\/nonexistent\/docker\.sock/);
  assert.match(run.stderr, /Check that dockerd is running/);
  assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, "no stack trace");
});

Deno.test("an unknown command or option exits 2 with usage", async () => {
  const unknown = await faaso(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^Error: Unknown command 'frobnicate'/);
  const option = await faaso(["build", "--frob", "x"]);
  assert.equal(option.code, 2);
  assert.match(option.stderr, /^Error: Unknown option '--frob'/);
});

Deno.test("a mistyped runtime option is an error naming the file, the field and the runtime's options", async () => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-options");
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    const manifest = join(folder.path, name, "funko.yml");
    await Deno.writeTextFile(manifest, `name: ${name}\nruntime: deno\noptions:\n  ship_pakages: [curl]\n`);
    const typo = await faaso(["build", name], { cwd: folder.path });
    assert.equal(typo.code, 1);
    assert.match(
      typo.stderr,
      new RegExp(
        `Error: ${name}/funko\\.yml: options\\.ship_pakages: unknown option \\(the deno runtime's options are ` +
          "deno_version, ship_packages, build_args; did you mean ship_packages\\?\\)",
      ),
    );
    await Deno.writeTextFile(manifest, `name: ${name}\nruntime: deno\noptions:\n  ship_packages: curl\n`);
    const kind = await faaso(["export", name, "out"], { cwd: folder.path });
    assert.equal(kind.code, 1);
    assert.match(
      kind.stderr,
      new RegExp(`${name}/funko\\.yml: options\\.ship_packages: use a list, such as \\[a, b\\]`),
    );
    assert.deepEqual([...Deno.readDirSync(folder.path)].map((e) => e.name), [name], "export wrote nothing");
    assert.equal(await docker.images.inspectOrNull(`faaso-${name}:latest`), null, "nothing was built");
  } finally {
    await cleanupFunko(docker, name);
  }
});

Deno.test("a funko folder is accepted where a name is expected; a wrong one is explained", async () => {
  await using folder = await tempFolder();
  const name = uniqueName("it-folder");
  await Deno.mkdir(join(folder.path, "myfunko"));
  await Deno.writeTextFile(join(folder.path, "myfunko", "funko.yml"), `name: ${name}\nruntime: deno\n`);
  for (const arg of ["myfunko/", "./myfunko", join(folder.path, "myfunko")]) {
    const run = await faaso(["up", arg], { cwd: folder.path });
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`Cannot run ${name}: there is no image faaso-${name}:latest`), arg);
  }
  const status = await faaso(["status", "myfunko/"], { cwd: folder.path });
  assert.match(status.stderr, new RegExp(`No funko named ${name}`));
  const missing = await faaso(["logs", "nosuch/"], { cwd: folder.path });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nosuch\/ is not a funko: no such folder, and a funko name uses lowercase letters/);
  await Deno.mkdir(join(folder.path, "plain"));
  const plain = await faaso(["rm", "./plain", "--yes"], { cwd: folder.path });
  assert.match(
    plain.stderr,
    /\.\/plain is not a funko: a funko name uses lowercase .*, or a funko folder, with a funko\.yml/,
  );
  const upper = await faaso(["down", "Hello"], { cwd: folder.path });
  assert.match(upper.stderr, /Hello: not a funko name: use lowercase letters/);
  for (const run of [missing, plain, upper]) assert.doesNotMatch(run.stderr, /faaso-.*\/:latest|Docker engine/);
});
