/**
 * Where a build's RUN steps fetch third-party sources, and which network they
 * run on: settings of the machine that builds (the CLI's in local mode, the
 * server's in remote mode), given to the engine with every build.
 *
 * A runtime that downloads from github.com (crystal: shards and Kemal) reads
 * the build argument `GITHUB_MIRROR` and then fetches from that URL instead,
 * in github.com's own layout. A runtime that does not declare the argument
 * ignores it (the engine says so in the build output).
 *
 * @module
 */
import { FaasoError } from "./errors.ts";

/** The build argument that names a mirror of github.com. */
export const GITHUB_MIRROR_ARG = "GITHUB_MIRROR";

/** The environment variable a machine's mirror of github.com comes from. */
export const GITHUB_MIRROR_ENV = "FAASO_GITHUB_MIRROR";

/** The environment variable a machine's build network comes from. */
export const BUILD_NETWORK_ENV = "FAASO_BUILD_NETWORK";

/** How builds reach what they download. */
export interface BuildSettings {
  /** Base URL of a mirror of github.com (no final slash), passed as the build argument `GITHUB_MIRROR`. */
  githubMirror?: string;
  /** The network the build's RUN steps join (the Engine API's `networkmode`), e.g. one where the mirror runs. */
  network?: string;
}

/**
 * Checks a mirror URL and returns it without its final slash. `where` names
 * where the value came from, for the error: `--github-mirror`, a variable.
 */
export function checkGithubMirror(url: string, where: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Reported below.
  }
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.search || parsed.hash) {
    throw new FaasoError(`${where} ${url}: use an http:// or https:// URL, e.g. http://github-mirror:8080`);
  }
  return url.replace(/\/+$/, "");
}

/**
 * Checks a build network's name (`bridge`, `host`, `none` or a network's
 * name, as `docker network ls` shows it). Whether it exists is checked when a
 * build uses it.
 */
export function checkBuildNetwork(name: string, where: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw new FaasoError(`${where} ${name}: use a network's name, as docker network ls shows it`);
  }
  return name;
}

/** Where each setting came from, for errors: a flag, a variable, a query parameter. */
export interface BuildSettingSources {
  githubMirror: string;
  network: string;
}

/** The flags' names, for {@linkcode checkBuildSettings}. */
export const BUILD_SETTING_FLAGS: BuildSettingSources = {
  githubMirror: "--github-mirror",
  network: "--build-network",
};

/** Checks the settings given (empty counts as unset), naming each one's source in errors. */
export function checkBuildSettings(
  values: { githubMirror?: string; network?: string },
  sources: BuildSettingSources,
): BuildSettings {
  return {
    ...(values.githubMirror ? { githubMirror: checkGithubMirror(values.githubMirror, sources.githubMirror) } : {}),
    ...(values.network ? { network: checkBuildNetwork(values.network, sources.network) } : {}),
  };
}

/** The settings in `FAASO_GITHUB_MIRROR` and `FAASO_BUILD_NETWORK` (empty counts as unset), checked. */
export function buildSettingsFromEnv(env: Pick<typeof Deno.env, "get"> = Deno.env): BuildSettings {
  return checkBuildSettings(
    { githubMirror: env.get(GITHUB_MIRROR_ENV), network: env.get(BUILD_NETWORK_ENV) },
    { githubMirror: GITHUB_MIRROR_ENV, network: BUILD_NETWORK_ENV },
  );
}

/** `explicit` (a build's flags) over `defaults` (the machine's settings), field by field. */
export function withDefaults(explicit: BuildSettings, defaults: BuildSettings): BuildSettings {
  const githubMirror = explicit.githubMirror ?? defaults.githubMirror;
  const network = explicit.network ?? defaults.network;
  return { ...(githubMirror ? { githubMirror } : {}), ...(network ? { network } : {}) };
}

/** What the settings mean, for a startup line: `GitHub from URL, RUN steps on the network NAME`. */
export function describeBuildSettings(settings: BuildSettings): string {
  const parts = [
    `GitHub from ${settings.githubMirror ?? "github.com"}`,
    `RUN steps on ${settings.network ? `the network ${settings.network}` : "the engine's default network"}`,
  ];
  return parts.join(", ");
}
