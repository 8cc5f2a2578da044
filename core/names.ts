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
} as const;

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

/** The tag every build moves to the newest image. */
export const LATEST = "latest";

/** The image reference instances run: `faaso-NAME:latest`. */
export function latestImage(funko: string): string {
  return `${imageRepo(funko)}:${LATEST}`;
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
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  const suffix = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
  return `faaso-${funko}-${suffix}`;
}
