/**
 * Images for a test engine: what `docker save IMAGES | docker -H ENGINE load`
 * does, through the Engine API, with the saved tar cached per set of images
 * (keyed by their IDs, so a rebuilt image is saved again and the old tar goes).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { buildFailure, type BuildMessage, Docker, jsonLines } from "../docker/mod.ts";

/** Where saved image sets are kept between test runs. */
export const IMAGE_CACHE = "/var/cache/faaso-test-engines";

/**
 * Loads `images` of the host's engine (the one DOCKER_HOST names, or the
 * local socket) into `target`. Throws, naming the image, when the host has
 * no such image.
 */
export async function loadImages(images: string[], target: Docker): Promise<void> {
  const tar = await savedSet(images);
  using file = await Deno.open(tar);
  const signal = AbortSignal.timeout(300_000);
  const response = await target.transport.request("POST", "/images/load", {
    query: { quiet: "1" },
    body: file.readable,
    headers: { "content-type": "application/x-tar" },
    signal,
  });
  if (!response.body) return;
  for await (const message of jsonLines<BuildMessage>(response.body)) {
    const failure = buildFailure(message);
    if (failure !== undefined) throw new Error(`Cannot load ${images.join(", ")} into the test engine: ${failure}`);
  }
}

/** The path of a tar holding `images` as the host has them now, saved if not cached yet. */
async function savedSet(images: string[]): Promise<string> {
  const host = Docker.fromEnv();
  try {
    return await saveOnce(host, images);
  } finally {
    host.close();
  }
}

async function saveOnce(host: Docker, images: string[]): Promise<string> {
  const ids: string[] = [];
  for (const image of images) {
    const inspect = await host.images.inspectOrNull(image);
    if (!inspect) throw new Error(`Cannot give ${image} to the test engine: the host's engine has no such image`);
    ids.push(inspect.Id);
  }
  const setKey = digest([...images].sort().join("\n")).slice(0, 16);
  const path = join(IMAGE_CACHE, `${setKey}-${digest(ids.sort().join("\n")).slice(0, 16)}.tar`);
  try {
    await Deno.stat(path);
    return path;
  } catch { /* not cached yet */ }
  await Deno.mkdir(IMAGE_CACHE, { recursive: true, mode: 0o700 });
  const query = new URLSearchParams(images.map((image) => ["names", image]));
  const response = await host.transport.request("GET", `/images/get?${query}`, {
    signal: AbortSignal.timeout(300_000),
  });
  // Written aside and renamed: another test process may read the same set.
  const partial = `${path}.${crypto.randomUUID().slice(0, 8)}.partial`;
  try {
    await Deno.writeFile(partial, response.body!, { mode: 0o600 });
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
  for await (const entry of Deno.readDir(IMAGE_CACHE)) {
    if (entry.name.startsWith(`${setKey}-`) && join(IMAGE_CACHE, entry.name) !== path && entry.name.endsWith(".tar")) {
      await Deno.remove(join(IMAGE_CACHE, entry.name)).catch(() => {});
    }
  }
  return path;
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
