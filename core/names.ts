/**
 * How FaaSO names and labels what it creates, so that `docker ps` and
 * `docker images` tell the whole truth and a user can do the same by hand.
 *
 * @module
 */
import { FaasoError } from "./errors.ts";

/** The bridge network every instance (and the proxy) joins. */
export const NETWORK = "faaso-net";

/** Labels FaaSO puts on images and containers. */
export const LABELS = {
  /** The funko an image or instance belongs to. */
  funko: "faaso.funko",
  /** The runtime an image was built from. */
  runtime: "faaso.runtime",
  /** SHA-256 of the build context an image was built from. */
  sourceHash: "faaso.source-hash",
  /** How instances run (JSON of FunkoSettings), on images. */
  settings: "faaso.settings",
  /** What a container is to FaaSO: `instance` (a funko's) or `proxy`. */
  role: "faaso.role",
  /** The image an image funko was made from, as funko.yml names it, on images. */
  image: "faaso.image",
  /** The port an instance's app listens on, on instances: the proxy reads it from the listing. */
  port: "faaso.port",
  /** An instance's health path, or `none` (its port's acceptance), on instances. */
  health: "faaso.health",
  /**
   * The funko a build stage belongs to: the runtimes' Dockerfiles set it in
   * every stage before the last (build labels reach only the last), so that
   * untagged stages can be found and removed.
   */
  buildStage: "faaso.build-stage",
} as const;

/** The engine filter for FaaSO's images: every funko's, or only `funko`'s. */
export function funkoImageFilters(funko?: string): Record<string, string[]> {
  return { label: [funko ? `${LABELS.funko}=${funko}` : LABELS.funko] };
}

/** The engine filter for instance containers: every funko's, or only `funko`'s. */
export function instanceFilters(funko?: string): Record<string, string[]> {
  return { label: [funko ? `${LABELS.funko}=${funko}` : LABELS.funko, `${LABELS.role}=instance`] };
}

/** A funko's name: a DNS label that is also a valid Docker image name. */
export const FUNKO_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** What {@linkcode FUNKO_NAME_PATTERN} means, in words. */
export const FUNKO_NAME_RULE =
  "use lowercase letters, digits and '-' (1-63 characters, starting and ending with a letter or digit)";

/**
 * Returns `name` when it is a funko name; else throws a FaasoError that says
 * what names look like. Everything that builds a path, a URL or a Docker name
 * from a funko name checks it here first.
 */
export function checkFunkoName(name: string): string {
  if (!FUNKO_NAME_PATTERN.test(name)) throw new FaasoError(`${name}: not a funko name: ${FUNKO_NAME_RULE}`);
  return name;
}

/** The image repository of a funko: `faaso-NAME`. */
export function imageRepo(funko: string): string {
  return `faaso-${funko}`;
}

/**
 * The image name `faaso export` suggests for plain `docker build`:
 * `NAME-export`, like the folder it writes. Not `faaso-NAME`, FaaSO's own
 * repository, whose `latest` is what `faaso up` runs.
 */
export function exportTag(funko: string): string {
  return `${funko}-export`;
}

/** The tag every build moves to the newest image. */
export const LATEST = "latest";

/** The image reference instances run: `faaso-NAME:latest`. */
export function latestImage(funko: string): string {
  return `${imageRepo(funko)}:${LATEST}`;
}

/**
 * What to say when `faaso-NAME:latest` carries no `faaso.funko` label: someone
 * built or tagged it by hand (`docker build -t faaso-NAME`), so it is not one
 * of FaaSO's builds and has none of the funko's settings.
 */
export function foreignLatestNote(funko: string): string {
  const repo = imageRepo(funko);
  return `${repo}:${LATEST} was not built by FaaSO (it has no ${LABELS.funko} label: a docker build -t ${repo}?), ` +
    `so its instances run with default settings; faaso build puts a build of ${funko} back there, ` +
    `faaso rollback ${funko} an earlier one`;
}

/**
 * The timestamp tag of a build, in UTC: `20261129T133316Z`. Tags sort in
 * build order.
 */
export function timestampTag(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/**
 * The newest build tag among an image's tags, `faaso-NAME:20261129T133316Z`
 * (an unchanged rebuild gives the same image another one); `faaso-NAME:latest`
 * when it has none. Deploy and status name an image by it.
 */
export function buildTag(repoTags: readonly string[] | null | undefined, funko: string): string {
  const prefix = `${imageRepo(funko)}:`;
  const stamps = (repoTags ?? []).filter((tag) =>
    tag.startsWith(prefix) && /^\d{8}T\d{6}Z$/.test(tag.slice(prefix.length))
  );
  return stamps.sort().at(-1) ?? latestImage(funko);
}

/** A new instance's container name: `faaso-NAME-` and six random characters. */
export function instanceName(funko: string): string {
  return `faaso-${funko}-${randomSuffix()}`;
}

/**
 * A new warm spare's container name: `faaso-NAME-spare-` and six random
 * characters. Taking the spare into service renames it to the instance name
 * without `spare-` ({@linkcode takenSpareName}), the name its FAASO_INSTANCE
 * says from the start; so `docker ps` always tells spares from serving instances.
 */
export function spareName(funko: string): string {
  return `faaso-${funko}-spare-${randomSuffix()}`;
}

/** The name a spare takes when it goes into service: `faaso-NAME-spare-abc123` becomes `faaso-NAME-abc123`. */
export function takenSpareName(funko: string, spare: string): string {
  return `faaso-${funko}-${spare.slice(`faaso-${funko}-spare-`.length)}`;
}

/** Whether a container name is one of the funko's warm spares (see {@linkcode spareName}). */
export function isSpareName(funko: string, name: string): boolean {
  const prefix = `faaso-${funko}-spare-`;
  return name.startsWith(prefix) && /^[a-z0-9]{6}$/.test(name.slice(prefix.length));
}

function randomSuffix(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
