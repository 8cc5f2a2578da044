/**
 * A mirror of github.com for tests: the bundle in shared/mirrors/ (what the
 * crystal runtime's build downloads, in github.com's URL layout) served by
 * busybox httpd in a container built on the local debian:bookworm-slim, on a
 * network of its own that builds join (`--build-network`) to reach it by name.
 *
 * @module
 */
import { join } from "node:path";
import type { Docker } from "../docker/mod.ts";
import { ROOT } from "./helpers.ts";

/** The bundle the crystal runtime's build needs. */
export const CRYSTAL_BUNDLE = "github-crystal.tar.gz";

/** The name builds use for the mirror: stable across runs, so that the layers built through it stay cached. */
export const MIRROR_ALIAS = "github-mirror";

/** The URL builds fetch from. */
export const MIRROR_URL = `http://${MIRROR_ALIAS}:8080`;

/**
 * The folder holding the mirror bundles: `FAASO_TEST_MIRRORS`, else `shared/mirrors`
 * beside the clone (CI lays shared/ next to it) or beside its parent (a git worktree
 * under wt/). Throws naming the places looked at when none has the bundle.
 */
export function mirrorsFolder(): string {
  const explicit = Deno.env.get("FAASO_TEST_MIRRORS");
  const candidates = explicit
    ? [explicit]
    : [join(ROOT, "..", "shared", "mirrors"), join(ROOT, "..", "..", "shared", "mirrors")];
  for (const folder of candidates) {
    if (isFile(join(folder, CRYSTAL_BUNDLE))) return folder;
  }
  throw new Error(
    `Cannot find the mirror bundle ${CRYSTAL_BUNDLE}: looked in ${candidates.join(", ")}. ` +
      "Set FAASO_TEST_MIRRORS to the folder holding it (shared/mirrors/, laid beside the clone)",
  );
}

/** A running mirror. */
export interface MirrorContainer extends AsyncDisposable {
  /** The network it answers on, for `--build-network`. */
  network: string;
  /** Its container's ID. */
  id: string;
}

/** Options for {@linkcode startMirror}. */
export interface StartMirrorOptions {
  /** Names the mirror answers to besides {@linkcode MIRROR_ALIAS}. */
  aliases?: string[];
}

/**
 * Builds the mirror image (busybox from the host, the unpacked bundle), starts it
 * on a new network and waits until it serves. Disposing removes the container,
 * the network, the image and the unpacked files.
 */
export async function startMirror(docker: Docker, options: StartMirrorOptions = {}): Promise<MirrorContainer> {
  const bundle = join(mirrorsFolder(), CRYSTAL_BUNDLE);
  const busybox = ["/usr/bin/busybox", "/bin/busybox"].find(isFile);
  if (!busybox) {
    throw new Error("Cannot serve the mirror: no busybox here (Debian's busybox package; .ci/setup installs it)");
  }
  const suffix = crypto.randomUUID().slice(0, 6);
  const name = `faaso-test-mirror-${suffix}`;
  const image = `faaso-test-mirror:${suffix}`;
  const context = await Deno.makeTempDir({ prefix: "faaso-test-mirror-" });
  let network: string | undefined;
  let id: string | undefined;
  const dispose = async () => {
    if (id) await docker.containers.remove(id, { force: true });
    if (network) await docker.networks.remove(network);
    await docker.images.remove(image, { force: true });
    await Deno.remove(context, { recursive: true }).catch(() => {});
  };
  try {
    await run("tar", ["-xzf", bundle, "-C", context]);
    await Deno.copyFile(busybox, join(context, "busybox"));
    await Deno.writeTextFile(
      join(context, "Dockerfile"),
      [
        "FROM debian:bookworm-slim",
        "COPY busybox /usr/local/bin/busybox",
        "COPY mirror/ /srv/",
        "LABEL faaso.test=mirror",
        "USER 65534",
        'CMD ["busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/srv"]',
        "",
      ].join("\n"),
    );
    await run("docker", ["build", "-q", "-t", image, context], { DOCKER_BUILDKIT: "0" });
    await docker.networks.create(name, { labels: { "faaso.test": "mirror" } });
    network = name;
    id = await docker.containers.create(name, {
      Image: image,
      Labels: { "faaso.test": "mirror" },
      HostConfig: { NetworkMode: name },
      NetworkingConfig: { EndpointsConfig: { [name]: { Aliases: [MIRROR_ALIAS, ...(options.aliases ?? [])] } } },
    });
    await docker.containers.start(id);
    const address = (await docker.containers.inspectOrNull(id))?.NetworkSettings.Networks[name]?.IPAddress;
    await waitServing(`http://${address}:8080/kemalcr/kemal.git/info/refs`);
    return { network: name, id, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function waitServing(url: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await response.text();
      if (response.ok && body.includes("refs/tags/v1.3.0")) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The mirror did not serve ${url} (last: ${last})`);
}

async function run(command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const result = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(`${command} ${args.join(" ")} failed:\n${new TextDecoder().decode(result.stderr)}`);
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
