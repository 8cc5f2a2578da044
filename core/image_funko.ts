/**
 * Image funkos: `image: REF` in funko.yml instead of code. `faaso build`
 * resolves REF on the engine (its own copy, else a pull) and builds the
 * generated context `FROM REF` (plus EXPOSE and, with a command, HEALTHCHECK):
 * no new layers, seconds at most, and an image labelled and tagged exactly
 * like any build, so status, history, deploy and rm need nothing special.
 * The user's image itself is never tagged, changed or removed.
 *
 * @module
 */
import { createTarPacker } from "modern-tar";
import {
  type Docker,
  DockerApiError,
  DockerStreamError,
  type ImageInspect,
  splitImageReference,
} from "../docker/mod.ts";
import { ContextHash } from "./archive.ts";
import { buildImage, type BuildOptions, type BuildResult, type ContextInfo, imageLabels } from "./build.ts";
import type { LifecycleDeps } from "./scale.ts";
import { FaasoError } from "./errors.ts";
import type { FunkoSettings } from "./manifest.ts";
import { imageRepo } from "./names.ts";
import { type Progress, silent } from "./progress.ts";
import { VERSION } from "./version.ts";

/** What an image funko is made of. */
export interface ImageFunkoSource {
  /** The funko's name. */
  name: string;
  /** The image reference, as funko.yml names it. */
  image: string;
  /** How instances run. */
  settings: FunkoSettings;
}

/** Options for {@linkcode buildFromImage}: `pull` fetches the image even when the engine has it. */
export type ImageBuildOptions = Pick<BuildOptions, "noCache" | "signal" | "pull" | "keepBuilds">;

/**
 * Makes `faaso-NAME:<timestamp>` and `latest` from the image `source.image`.
 * The local and the server's builds both come here: the engine doing the
 * work resolves the image, nothing is uploaded.
 */
export async function buildFromImage(
  deps: LifecycleDeps,
  source: ImageFunkoSource,
  options: ImageBuildOptions = {},
  progress: Progress = silent,
): Promise<BuildResult> {
  if (splitImageReference(source.image).repository === imageRepo(source.name)) {
    throw new FaasoError(`Cannot build ${source.name}: image: ${source.image} is the funko's own image`);
  }
  const docker = deps.docker;
  const resolved = await resolveImage(docker, source.name, source.image, options, progress);
  // The hash covers what the image is made of: the resolved image's ID and the settings.
  const bytes = new TextEncoder().encode(imageDockerfile(source, resolved.Id));
  const hash = new ContextHash();
  hash.file("Dockerfile", 0o644, bytes.length);
  hash.update(bytes);
  const info: ContextInfo = {
    name: source.name,
    runtime: "",
    image: source.image,
    sourceHash: hash.digest(),
    settings: source.settings,
    labelled: true,
  };
  const dockerfile = `${imageDockerfile(source, resolved.Id)}${labelInstruction(imageLabels(info))}\n`;
  return await buildImage(
    deps,
    tarOf("Dockerfile", new TextEncoder().encode(dockerfile)),
    info,
    { noCache: options.noCache, signal: options.signal, keepBuilds: options.keepBuilds },
    progress,
  );
}

/**
 * One LABEL instruction setting every label: values double-quoted, with `\`,
 * `"` and `$` escaped (LABEL expands variables). Values are single lines.
 */
export function labelInstruction(labels: Record<string, string>): string {
  const quote = (text: string) => `"${text.replace(/[\\"$]/g, "\\$&")}"`;
  return `LABEL ${Object.entries(labels).map(([key, value]) => `${quote(key)}=${quote(value)}`).join(" \\\n  ")}`;
}

/**
 * The image `reference` as the engine has it: its own copy, unless `pull`
 * asks for a fresh one; else pulled. Errors say what is missing and what the
 * engine answered ("manifest unknown", "no such host").
 */
export async function resolveImage(
  docker: Docker,
  funko: string,
  reference: string,
  options: Pick<ImageBuildOptions, "pull" | "signal"> = {},
  progress: Progress = silent,
): Promise<ImageInspect> {
  if (!options.pull) {
    const local = await docker.images.inspectOrNull(reference, options.signal);
    if (local) {
      progress({ kind: "step", text: `Using ${reference} (${local.Id.slice(7, 19)}), which the engine has` });
      return local;
    }
  }
  progress({ kind: "step", text: `Pulling ${reference}` });
  try {
    for await (const message of docker.images.pull(reference, { signal: options.signal })) {
      // Layer lines with byte counts would flood a log; the others say what happens.
      if (message.status && message.progressDetail?.current === undefined) {
        progress({ kind: "output", text: message.id ? `${message.id}: ${message.status}` : message.status });
      }
    }
  } catch (error) {
    if (error instanceof DockerApiError || error instanceof DockerStreamError) {
      const reason = error instanceof DockerApiError ? error.engineMessage : error.message;
      const missing = error instanceof DockerApiError && error.status === 404;
      throw new FaasoError(
        options.pull
          ? `Cannot build ${funko}: cannot pull the image ${reference}: ${reason}`
          : `Cannot build ${funko}: the engine has no image ${reference} and cannot pull it: ${reason}`,
        { status: missing ? 404 : 502, code: missing ? "image_not_found" : "pull_failed", cause: error },
      );
    }
    throw error;
  }
  const pulled = await docker.images.inspectOrNull(reference, options.signal);
  if (!pulled) throw new FaasoError(`Cannot build ${funko}: the engine pulled ${reference} but has no such image`);
  return pulled;
}

/**
 * The one TCP port an image declares (`EXPOSE 80`), when the engine has the
 * image and it declares exactly one: a good guess at the port of its app.
 */
export async function exposedPort(docker: Docker, reference: string): Promise<number | undefined> {
  const image = await docker.images.inspectOrNull(reference);
  const ports = Object.keys(image?.Config.ExposedPorts ?? {}).filter((port) => port.endsWith("/tcp"));
  return ports.length === 1 ? Number.parseInt(ports[0]!, 10) : undefined;
}

/**
 * The Dockerfile of an image funko: FROM the image, the port exposed and,
 * when funko.yml gives a command, Docker's healthcheck. Instructions that
 * change only the image's configuration: no layer is added.
 */
export function imageDockerfile(source: ImageFunkoSource, imageId: string): string {
  const health = source.settings.healthcheck;
  const lines = [
    `# ${source.name}: made by FaaSO ${VERSION} from the image ${source.image}`,
    `# (${imageId} when it was built). Plain \`docker build .\` works here.`,
    `FROM ${source.image}`,
    `EXPOSE ${source.settings.port}`,
  ];
  if (health.command) {
    lines.push(
      `HEALTHCHECK --interval=${health.interval} --timeout=${health.timeout} ` +
        `--start-period=${health.start_period} --retries=${health.retries} \\`,
      `  CMD ${health.command}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function tarOf(name: string, bytes: Uint8Array): ReadableStream<Uint8Array> {
  const { readable, controller } = createTarPacker();
  (async () => {
    const sink = controller.add({ name, size: bytes.length, mode: 0o644, mtime: new Date(0), type: "file" });
    const writer = sink.getWriter();
    await writer.write(bytes);
    await writer.close();
    controller.finalize();
  })().catch((error) => controller.error(error));
  return readable;
}
