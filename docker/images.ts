/**
 * Images: build from a streamed context, push, pull, list, inspect, tag, remove.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#tag/Image
 * @module
 */
import { DockerStreamError } from "./errors.ts";
import { jsonLines } from "./streams.ts";
import { type DockerTransport, NO_REGISTRY_AUTH } from "./transport.ts";

/** An image as `GET /images/json` lists it. */
export interface ImageSummary {
  Id: string;
  RepoTags: string[] | null;
  /** `registry/repo@sha256:...` for each registry the image was pushed to or pulled from. */
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  Labels: Record<string, string> | null;
}

/** The parts of `GET /images/{name}/json` FaaSO reads. */
export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests?: string[] | null;
  Created: string;
  Size: number;
  Config: {
    Labels: Record<string, string> | null;
    Env: string[] | null;
    User?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: { Test?: string[] } | null;
  };
}

/** One line of build progress, as the engine streams it. */
export interface BuildMessage {
  /** Output of the Dockerfile step being run. */
  stream?: string;
  /** Status lines (pulls). */
  status?: string;
  /** Auxiliary data: the built image's ID. */
  aux?: { ID?: string };
  /** Set when the build failed. */
  error?: string;
  /** Details of the failure. */
  errorDetail?: { message?: string; code?: number };
}

/** One line of push progress. The last one names the manifest's digest. */
export interface PushMessage {
  /** "Pushing", "Pushed", "Layer already exists", or the summary line. */
  status?: string;
  /** The layer a status line is about. */
  id?: string;
  /** Set on the last line: the tag pushed, its manifest digest and size. */
  aux?: { Tag?: string; Digest?: string; Size?: number };
  /** Set when the push failed. */
  error?: string;
  /** Details of the failure. */
  errorDetail?: { message?: string; code?: number };
}

/**
 * Returns the failure message a progress line carries (`errorDetail`, or
 * `error`), or undefined when the line is not a failure. The engine reports a
 * failed build with HTTP 200 and such a line, so every line must be checked.
 */
export function buildFailure(message: BuildMessage | PullMessage | PushMessage): string | undefined {
  if (message.errorDetail || message.error) {
    return (message.errorDetail?.message ?? message.error ?? "the build failed").trim();
  }
  return undefined;
}

/** One line of pull progress, as the engine streams it. */
export interface PullMessage {
  /** What is happening: "Pulling fs layer", "Digest: sha256:...", "Status: Downloaded newer image for ...". */
  status?: string;
  /** The layer the line is about. */
  id?: string;
  /** Bytes done and to do, on download and extract lines. */
  progressDetail?: { current?: number; total?: number };
  /** Set when the pull failed. */
  error?: string;
  /** Details of the failure. */
  errorDetail?: { message?: string; code?: number };
}

// The grammar of github.com/distribution/reference: [domain/]path[:tag][@digest].
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`,
);

/** Whether `text` is an image reference the engine accepts: `nginx:1.27`, `host:5000/team/app@sha256:...`. */
export function isImageReference(text: string): boolean {
  return text.length <= 255 && REFERENCE.test(text);
}

/**
 * Splits a reference into the repository and the tag or digest to pull
 * (`latest` when it names neither: an empty tag would pull every tag).
 *
 * @example
 * ```ts
 * splitImageReference("localhost:5000/app"); // { repository: "localhost:5000/app", tag: "latest" }
 * splitImageReference("app:1@sha256:ab..."); // { repository: "app", tag: "sha256:ab..." }
 * ```
 */
export function splitImageReference(reference: string): { repository: string; tag: string } {
  const match = REFERENCE.exec(reference);
  if (!match) throw new Error(`Cannot pull ${reference}: not an image reference`);
  return { repository: match[1]!, tag: match[3] ?? match[2] ?? "latest" };
}

/** The progress lines of a build, pull or push; a line that reports failure throws {@linkcode DockerStreamError}. */
async function* checkedLines<T extends BuildMessage | PullMessage | PushMessage>(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<T> {
  for await (const message of jsonLines<T>(body)) {
    const failure = buildFailure(message);
    if (failure !== undefined) throw new DockerStreamError(failure);
    yield message;
  }
}

/** Options for {@linkcode Images.build}. */
export interface BuildOptions {
  /** Tags to give the image (`name:tag`). */
  tags?: string[];
  /** Labels to put on the image. */
  labels?: Record<string, string>;
  /** `--build-arg` values. */
  buildArgs?: Record<string, string>;
  /** Ignore the layer cache. */
  noCache?: boolean;
  /** Path of the Dockerfile inside the context. Default `Dockerfile`. */
  dockerfile?: string;
  /**
   * The network RUN steps join: `bridge` (the engine's default), `host`, `none`, or a
   * user-defined network's name, whose containers they then reach by name.
   */
  networkMode?: string;
  /** Aborts the build. */
  signal?: AbortSignal;
}

/** Image endpoints. */
export class Images {
  #transport: DockerTransport;

  constructor(transport: DockerTransport) {
    this.#transport = transport;
  }

  /**
   * Builds an image from a tar (optionally gzipped) context stream and yields
   * the engine's progress lines as they come. Throws {@linkcode DockerStreamError}
   * when a line reports failure. Intermediate containers are always removed,
   * even when a step fails (`forcerm`).
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ImageBuild
   */
  async *build(
    context: ReadableStream<Uint8Array>,
    options: BuildOptions = {},
  ): AsyncGenerator<BuildMessage, void> {
    const query = new URLSearchParams({ rm: "1", forcerm: "1" });
    for (const tag of options.tags ?? []) query.append("t", tag);
    if (options.labels) query.set("labels", JSON.stringify(options.labels));
    if (options.buildArgs) query.set("buildargs", JSON.stringify(options.buildArgs));
    if (options.noCache) query.set("nocache", "1");
    if (options.dockerfile) query.set("dockerfile", options.dockerfile);
    if (options.networkMode) query.set("networkmode", options.networkMode);
    const response = await this.#transport.request("POST", `/build?${query}`, {
      body: context,
      headers: { "content-type": "application/x-tar" },
      signal: options.signal,
      expect: [200],
    });
    if (response.body) yield* checkedLines<BuildMessage>(response.body);
  }

  /**
   * Pushes `name:tag` to the registry its name starts with and yields the
   * engine's progress lines; the last one carries the digest (`aux.Digest`).
   * Throws {@linkcode DockerStreamError} when a line reports failure (the
   * engine answers 200 and says so in the stream). No credentials are sent:
   * FaaSO pushes to registries that need none, or that the engine's own
   * configuration covers.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ImagePush
   */
  async *push(name: string, tag: string, signal?: AbortSignal): AsyncGenerator<PushMessage, void> {
    const response = await this.#transport.request("POST", `/images/${encodeURIComponent(name)}/push`, {
      query: { tag },
      headers: { "x-registry-auth": NO_REGISTRY_AUTH },
      expect: [200],
      signal,
    });
    if (response.body) yield* checkedLines<PushMessage>(response.body);
  }

  /**
   * Pulls an image from its registry and yields the engine's progress lines.
   * Throws {@linkcode DockerApiError} when the engine refuses at once (404: no
   * such image or tag; 500: the registry cannot be reached) and
   * {@linkcode DockerStreamError} when a line reports failure midway.
   *
   * @see https://docs.docker.com/engine/api/v1.41/#operation/ImageCreate
   */
  async *pull(
    reference: string,
    options: { auth?: string; signal?: AbortSignal } = {},
  ): AsyncGenerator<PullMessage, void> {
    const { repository, tag } = splitImageReference(reference);
    const response = await this.#transport.request("POST", "/images/create", {
      query: { fromImage: repository, tag },
      // The engine wants the header even for anonymous pulls from some registries: "{}" is no credentials.
      headers: { "x-registry-auth": options.auth ?? NO_REGISTRY_AUTH },
      signal: options.signal,
      expect: [200],
    });
    if (response.body) yield* checkedLines<PullMessage>(response.body);
  }

  /**
   * Lists images, optionally filtered (`{ reference: ["faaso-*"], label: [...], dangling: ["true"] }`).
   * `all` includes the intermediate images of builds (the layer cache), which are hidden otherwise.
   */
  list(
    filters: Record<string, string[]> = {},
    options: { all?: boolean; signal?: AbortSignal } = {},
  ): Promise<ImageSummary[]> {
    return this.#transport.json("GET", "/images/json", { query: listQuery(filters, options), signal: options.signal });
  }

  /** Asks for {@linkcode list}'s answer now, for a later `list` with the same arguments (see `DockerTransport.prefetch`). */
  prefetchList(filters: Record<string, string[]> = {}, options: { all?: boolean } = {}): void {
    this.#transport.prefetch("/images/json", listQuery(filters, options));
  }

  /** Inspects an image, or returns null when there is no such image. */
  inspectOrNull(name: string, signal?: AbortSignal): Promise<ImageInspect | null> {
    return this.#transport.jsonOrNull(`/images/${encodeURIComponent(name)}/json`, signal);
  }

  /** Tags an existing image as `repo:tag`. */
  async tag(name: string, repo: string, tag: string, signal?: AbortSignal): Promise<void> {
    await this.#transport.call("POST", `/images/${encodeURIComponent(name)}/tag`, {
      query: { repo, tag },
      expect: [201],
      signal,
    });
  }

  /**
   * Removes an image or one of its tags. Returns false when there was no such image.
   * `force` also removes an image that several tags or stopped containers use.
   */
  async remove(name: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    const status = await this.#transport.call("DELETE", `/images/${encodeURIComponent(name)}`, {
      query: { force: options.force ? "1" : undefined },
      expect: [200, 404],
      signal: options.signal,
    });
    return status === 200;
  }
}

function listQuery(filters: Record<string, string[]>, options: { all?: boolean }) {
  return { filters, all: options.all ? "1" : undefined };
}
