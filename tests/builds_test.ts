/**
 * Builds and the images they leave: a failed build says why with the failing
 * step's own output and leaves no image; an unchanged rebuild adds no tag;
 * only the newest N builds of a funko stay (FAASO_KEEP_BUILDS, faaso prune);
 * `rollback` deploys an earlier one (local mode).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Docker } from "../docker/mod.ts";
import {
  cleanupFunko,
  faaso,
  faasoOk,
  instancesOf,
  ROOT,
  tempFolder,
  testDocker,
  uniqueName,
  waitForHttp,
} from "./helpers.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");
const STAMP = /^\d{8}T\d{6}Z$/;

/** The funko's tags, without the repository, sorted. */
async function tagsOf(docker: Docker, name: string): Promise<string[]> {
  const images = await docker.images.list({ reference: [`faaso-${name}`] });
  return images.flatMap((image) => image.RepoTags ?? []).map((tag) => tag.slice(tag.indexOf(":") + 1)).sort();
}

Deno.test("a failed build ends with the failing step's output, also with -q, and leaves no image", async () => {
  using docker = testDocker();
  await using folder = await tempFolder();
  const name = uniqueName("it-failed");
  const marker = `it-failed-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(join(folder.path, "funko.yml"), `name: ${name}\n`);
    // A label early on marks every layer this build commits, so that the test can look for them afterwards.
    await Deno.writeTextFile(
      join(folder.path, "Dockerfile"),
      `FROM debian:bookworm-slim\nLABEL it.marker=${marker}\nRUN echo a layer of its own > /layer\n` +
        "RUN echo 'first line of the reason' && echo 'Could not resolve host: example.invalid' >&2 && exit 6\n",
    );
    const run = await faaso(["build", folder.path, "-q"]);
    assert.equal(run.code, 1);
    const error = run.stderr.slice(run.stderr.indexOf("Error:"));
    assert.match(error, /^Error: Cannot build .*: The command '\/bin\/sh -c echo .*' returned a non-zero code: 6\n/);
    assert.match(error, /\n {2}step 4\/\d+ \(RUN echo 'first line of the reason'.*\), its output:\n/);
    // The engine does not keep the order of a step's stdout and stderr lines.
    assert.match(error, /\n {2}first line of the reason\n/);
    assert.match(error, /\n {2}Could not resolve host: example\.invalid\n/);
    assert.doesNotMatch(error, /Removing intermediate container|Running in/, "only the step's own output");
    const left = await docker.images.list({ label: [`it.marker=${marker}`] }, { all: true });
    assert.deepEqual(left.map((image) => image.Id), [], "no layer of the failed build is left");
    assert.deepEqual(await tagsOf(docker, name), []);
  } finally {
    await cleanupFunko(docker, name);
    for (const image of await docker.images.list({ label: [`it.marker=${marker}`] }, { all: true })) {
      await docker.images.remove(image.Id, { force: true });
    }
  }
});

Deno.test("builds: no tag for an unchanged rebuild, the newest N kept, prune, rollback", async (t) => {
  using docker = testDocker();
  await using source = await tempFolder();
  const name = uniqueName("it-builds");
  const folder = join(source.path, "funko");
  const env = { FAASO_DATA: join(source.path, "data"), FAASO_KEEP_BUILDS: "2" };
  const write = (version: string) =>
    Deno.writeTextFile(
      join(folder, "funko.yml"),
      `name: ${name}\nruntime: deno\nenv:\n  ECHO_VERSION: ${version}\nhealthcheck:\n  interval: 1s\n`,
    );
  const version = async () => {
    const [instance] = await instancesOf(docker, name);
    return await waitForHttp(`http://${instance!.address}:3000/version`);
  };
  await Deno.mkdir(folder);
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  const stamps: string[] = [];
  try {
    await t.step("an unchanged rebuild gives the same image and adds no tag", async () => {
      await write("v1");
      await faasoOk(["build", folder, "-q"], { env });
      const first = await tagsOf(docker, name);
      assert.equal(first.length, 2, `${first}`);
      stamps.push(first.find((tag) => STAMP.test(tag))!);
      const again = await faasoOk(["build", folder, "-q"], { env });
      assert.match(again.stdout, new RegExp(`Nothing changed: faaso-${name}:${stamps[0]} \\(\\w+\\) is this build`));
      assert.deepEqual(await tagsOf(docker, name), first);
    });

    await t.step("a build beyond FAASO_KEEP_BUILDS=2 removes the oldest", async () => {
      for (const next of ["v2", "v3"]) {
        await write(next);
        const built = await faasoOk(["build", folder, "-q"], { env });
        stamps.push(/faaso-[\w-]+:(\d{8}T\d{6}Z) and/.exec(built.stdout)![1]!);
      }
      assert.deepEqual(await tagsOf(docker, name), [stamps[1], stamps[2], "latest"]);
      assert.equal(await docker.images.inspectOrNull(`faaso-${name}:${stamps[0]}`), null);
    });

    await t.step("rollback deploys the build before latest, and latest follows", async () => {
      await faasoOk(["up", name], { env });
      assert.equal(await version(), "v3");
      const run = await faasoOk(["rollback", name], { env });
      assert.match(
        run.stdout,
        new RegExp(`Rolled ${name} back to faaso-${name}:${stamps[1]} \\(latest was faaso-${name}:${stamps[2]}\\)`),
      );
      assert.equal(await version(), "v2");
      const latest = await docker.images.inspectOrNull(`faaso-${name}:latest`);
      assert.ok(latest?.RepoTags.includes(`faaso-${name}:${stamps[1]}`), "latest is the build rolled back to");
      const status = JSON.parse((await faasoOk(["status", name, "--json"], { env })).stdout);
      assert.equal(status.instances[0].outOfDate, false);
      const oldest = await faaso(["rollback", name], { env });
      assert.equal(oldest.code, 1);
      assert.match(
        oldest.stderr,
        new RegExp(`Cannot roll back ${name}: faaso-${name}:${stamps[1]} is its oldest build`),
      );
      const forward = await faasoOk(["rollback", name, stamps[2]!], { env });
      assert.match(forward.stdout, /Rolled .* back to/);
      assert.equal(await version(), "v3");
      const unknown = await faaso(["rollback", name, "20200101T000000Z"], { env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no such build \(the builds are/);
    });

    await t.step("prune keeps the newest N and what runs; a second prune finds nothing", async () => {
      const run = await faasoOk(["prune", name, "--keep", "1"], { env });
      assert.match(run.stdout, new RegExp(`${name}: removed 1 build \\(faaso-${name}:${stamps[1]}\\)`));
      assert.deepEqual(await tagsOf(docker, name), [stamps[2], "latest"]);
      const again = await faasoOk(["prune", name, "--keep", "1"], { env });
      assert.match(again.stdout, new RegExp(`${name}: nothing to remove \\(1 build kept\\)`));
      const bad = await faaso(["prune", name, "--keep", "0"], { env });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--keep 0: use a whole number, at least 1/);
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
