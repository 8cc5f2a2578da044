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
import { buildAppImage } from "./image_helpers.ts";

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

Deno.test("export of an image funko writes a compose.yaml that runs the image with the funko's settings", async () => {
  await using folder = await tempFolder();
  const name = uniqueName("it-export-img");
  const image = `it-user-app-${name}:v1`;
  let containerId = "";
  await buildAppImage(image, "v1");
  try {
    await faasoOk(["new", name, "--image", image, "--port", "8080"], { cwd: folder.path });
    const manifest = join(folder.path, name, "funko.yml");
    await Deno.writeTextFile(manifest, `${await Deno.readTextFile(manifest)}env:\n  APP_VERSION: from-compose\n`);
    const run = await faasoOk(["export", name, "out"], { cwd: folder.path });
    assert.match(run.stdout, /Run it with: docker compose -f .*out\/compose\.yaml up/);
    const out = join(folder.path, "out");
    assert.deepEqual([...Deno.readDirSync(out)].map((entry) => entry.name), ["compose.yaml"]);
    const service = parseYaml(await Deno.readTextFile(join(out, "compose.yaml"))).services[name];
    assert.equal(service.image, image);
    assert.equal(service.build, undefined, "nothing to build: it runs the image");
    assert.deepEqual(service.ports, ["8080:8080"]);
    assert.deepEqual(service.environment, { APP_VERSION: "from-compose" });

    // What compose would do with it, through the Engine API alone.
    const created = await engine(
      "POST",
      "/containers/create",
      JSON.stringify({
        Image: service.image,
        Env: Object.entries(service.environment).map(([key, value]) => `${key}=${value}`),
        Hostname: service.hostname,
      }),
    );
    assert.equal(created.status, 201);
    containerId = (await created.json()).Id;
    assert.equal((await engine("POST", `/containers/${containerId}/start`)).status, 204);
    const inspect = await (await engine("GET", `/containers/${containerId}/json`)).json();
    const port = service.ports[0].split(":")[1];
    assert.equal(await waitForHttp(`http://${inspect.NetworkSettings.IPAddress}:${port}/`), `from-compose ${name}`);
  } finally {
    if (containerId) await engine("DELETE", `/containers/${containerId}?force=1`);
    await engine("DELETE", `/images/${encodeURIComponent(image)}?force=1`);
  }
});

Deno.test("export suggests a tag of its own; a hand-built faaso-NAME:latest is named as such by status and up", async () => {
  await using folder = await tempFolder();
  const name = uniqueName("it-foreign");
  const env = { FAASO_DATA: join(folder.path, "data") };
  let foreign = "";
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });
    const exported = await faasoOk(["export", name], { cwd: folder.path });
    const out = join(folder.path, `${name}-export`);
    assert.match(exported.stdout, new RegExp(`Build it with: docker build -t ${name}-export ${out}\\n`));
    assert.doesNotMatch(exported.stdout, /-t faaso-/, "never FaaSO's own repository");
    const compose = parseYaml(await Deno.readTextFile(join(out, "compose.yaml")));
    assert.equal(compose.services[name].image, `${name}-export:latest`);

    await faasoOk(["build", name, "-q"], { cwd: folder.path, env });
    // What the old hint led to: a plain docker build of the export over FaaSO's latest.
    const built = await engine(
      "POST",
      `/build?t=${encodeURIComponent(`faaso-${name}:latest`)}&forcerm=1`,
      await tarFolder(out),
      "application/x-tar",
    );
    assert.doesNotMatch(await built.text(), /errorDetail/);
    const status = await faasoOk(["status", name], { env });
    assert.match(status.stdout, new RegExp(`^${name} .* latest latest, not built by FaaSO`, "m"));
    assert.doesNotMatch(status.stdout, /no image/);
    assert.match(
      status.stderr,
      new RegExp(`faaso-${name}:latest was not built by FaaSO \\(it has no faaso\\.funko label`),
    );
    const json = JSON.parse((await faasoOk(["status", name, "--json"], { env })).stdout);
    assert.equal(json.latest.foreign, true);
    foreign = json.latest.id;
    const up = await faasoOk(["up", name], { env });
    assert.match(up.stderr, /Warning: faaso-.*:latest was not built by FaaSO .* faaso rollback/);
    assert.match(up.stdout, /1 instance running/);
    // The way back: latest on the newest FaaSO build again.
    const back = await faasoOk(["rollback", name], { env });
    assert.match(back.stdout, new RegExp(`Rolled ${name} back to faaso-${name}:\\d{8}T\\d{6}Z`));
    const after = JSON.parse((await faasoOk(["status", name, "--json"], { env })).stdout);
    assert.equal(after.latest.foreign, undefined);
    assert.equal(after.instances.length, 1);
    assert.equal(after.instances[0].outOfDate, false);
  } finally {
    for (
      const container of await (await engine(
        "GET",
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`faaso.funko=${name}`] }))}`,
      )).json()
    ) {
      await engine("DELETE", `/containers/${container.Id}?force=1`);
    }
    for (
      const image of await (await engine(
        "GET",
        `/images/json?filters=${encodeURIComponent(JSON.stringify({ reference: [`faaso-${name}`] }))}`,
      )).json()
    ) {
      await engine("DELETE", `/images/${image.Id}?force=1`);
    }
    // The hand-built image lost its only tag to the rollback: it is the test's to remove.
    if (foreign) await engine("DELETE", `/images/${foreign}?force=1`);
  }
});
