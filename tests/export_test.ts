/**
 * `faaso export` gives a folder that plain Docker builds and runs: this test
 * builds it with the Engine API alone (raw fetch over the socket, a tar made
 * here), without any of FaaSO's code in that path.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { packTar } from "modern-tar";
import { parse as parseYaml } from "yaml";
import { faaso, faasoOk, fileTimeLimit, socketPath, tempFolder, uniqueName, waitForHttp } from "./helpers.ts";

fileTimeLimit(import.meta.url, { minutes: 8 });

const SOCKET = socketPath();

async function engine(method: string, path: string, body?: BodyInit, type = "application/json"): Promise<Response> {
  using client = Deno.createHttpClient({ proxy: { transport: "unix", path: SOCKET } });
  const response = await fetch(`http://docker/v1.41${path}`, {
    method,
    body,
    headers: body ? { "content-type": type } : {},
    client,
    // A build takes a while; anything else answers at once.
    signal: AbortSignal.timeout(path.startsWith("/build") ? 300_000 : 30_000),
  });
  const text = await response.text();
  return new Response([204, 304].includes(response.status) ? null : text, { status: response.status });
}

async function tarFolder(folder: string): Promise<Uint8Array<ArrayBuffer>> {
  const entries = [];
  for (const path of walk(folder)) {
    const data = await Deno.readFile(path);
    entries.push({ header: { name: relative(folder, path), size: data.length }, body: data });
  }
  return new Uint8Array(await packTar(entries));
}

function* walk(folder: string): Generator<string> {
  for (const entry of Deno.readDirSync(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

Deno.test("export writes a folder that the Engine API alone builds and runs", async () => {
  await using folder = await tempFolder();
  const name = uniqueName("it-export");
  const tag = `it-export-${name}:plain`;
  let containerId = "";
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    const run = await faasoOk(["export", name, "out"], { cwd: folder.path });
    assert.match(run.stdout, /Exported/);
    const out = join(folder.path, "out");
    const dockerfile = await Deno.readTextFile(join(out, "Dockerfile"));
    assert.doesNotMatch(dockerfile, /\{\{|\{%/, "templates are rendered");
    assert.match(dockerfile, /^FROM debian:bookworm-slim$/m);
    const compose = parseYaml(await Deno.readTextFile(join(out, "compose.yaml")));
    assert.equal(compose.services[name].build, ".");
    assert.ok((await Deno.stat(join(out, "main.ts"))).isFile, "the runtime's skeleton is merged in");
    assert.ok((await Deno.stat(join(out, "funko.ts"))).isFile, "the funko's code is there");

    const built = await engine(
      "POST",
      `/build?t=${encodeURIComponent(tag)}&forcerm=1`,
      await tarFolder(out),
      "application/x-tar",
    );
    const log = await built.text();
    assert.equal(built.status, 200);
    assert.doesNotMatch(log, /errorDetail/, log);

    const created = await engine("POST", "/containers/create", JSON.stringify({ Image: tag }));
    assert.equal(created.status, 201);
    containerId = (await created.json()).Id;
    assert.equal((await engine("POST", `/containers/${containerId}/start`)).status, 204);
    const inspect = await (await engine("GET", `/containers/${containerId}/json`)).json();
    const address = inspect.NetworkSettings.IPAddress;
    assert.equal(await waitForHttp(`http://${address}:3000/`), "Hello World Deno!");
  } finally {
    if (containerId) await engine("DELETE", `/containers/${containerId}?force=1`);
    await engine("DELETE", `/images/${encodeURIComponent(tag)}?force=1`);
  }
});

Deno.test("export refuses a destination that is not empty and keeps it", async () => {
  await using folder = await tempFolder();
  await faasoOk(["new", "-r", "deno", "hello"], { cwd: folder.path });
  await Deno.mkdir(join(folder.path, "dest"));
  await Deno.writeTextFile(join(folder.path, "dest", "notes.txt"), "mine");
  const run = await faaso(["export", "hello", "dest"], { cwd: folder.path });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Cannot export to .*dest: the folder is not empty/);
  assert.deepEqual([...Deno.readDirSync(join(folder.path, "dest"))].map((e) => e.name), ["notes.txt"]);
});
