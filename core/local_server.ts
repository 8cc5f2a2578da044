/**
 * How the CLI on the server's machine finds the running `faaso serve` for
 * the live figures only a server has (requests/s, errors, latency): the
 * server writes `DATA/serve.json` (its URL and process) when it starts and
 * removes it when it stops, and keeps a read-only token in
 * `DATA/metrics-token` (mode 0600), which also lets Prometheus scrape it.
 * Whoever can read the data folder may read the figures.
 *
 * @module
 */
import type { DataFolder } from "./data_folder.ts";

/** What `serve.json` holds. */
export interface ServeFile {
  /** Where the server listens, as a client on this machine reaches it. */
  url: string;
  /** The server's process ID. */
  pid: number;
}

/** A running server on this machine and the token to read its figures. */
export interface LocalServer {
  /** Its URL. */
  url: string;
  /** The metrics token. */
  token: string;
}

/** The URL a client on this machine uses for a server listening on `hostname:port` (0.0.0.0 is 127.0.0.1). */
export function localUrl(hostname: string, port: number): string {
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname === "::" ? "::1" : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The metrics token: FAASO_METRICS_TOKEN, else `DATA/metrics-token`, which
 * is created with a random token when `create` is set and it does not exist.
 */
export async function metricsToken(data: DataFolder, create = false): Promise<string | undefined> {
  const fromEnv = Deno.env.get("FAASO_METRICS_TOKEN")?.trim();
  if (fromEnv) return fromEnv;
  try {
    const token = (await Deno.readTextFile(data.metricsTokenFile)).trim();
    if (token) return token;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) && !(error instanceof Deno.errors.PermissionDenied)) throw error;
    if (!create) return undefined;
  }
  if (!create) return undefined;
  const token = crypto.getRandomValues(new Uint8Array(24)).toBase64({ alphabet: "base64url", omitPadding: true });
  await data.writePrivate(data.metricsTokenFile, `${token}\n`);
  return token;
}

/** Notes where the server listens (in `serve.json`, mode 0600). */
export async function writeServeFile(data: DataFolder, url: string): Promise<void> {
  const file: ServeFile = { url, pid: Deno.pid };
  await data.writePrivate(data.serveFile, `${JSON.stringify(file, null, 2)}\n`);
}

/** Removes `serve.json` if this process wrote it. */
export async function removeServeFile(data: DataFolder): Promise<void> {
  const file = await readServeFile(data);
  if (file?.pid === Deno.pid) await Deno.remove(data.serveFile).catch(() => {});
}

/** The server this data folder's `serve.json` names and the metrics token; undefined when either is missing. */
export async function localServer(data: DataFolder): Promise<LocalServer | undefined> {
  const [file, token] = await Promise.all([readServeFile(data), metricsToken(data)]);
  return file && token ? { url: file.url, token } : undefined;
}

async function readServeFile(data: DataFolder): Promise<ServeFile | undefined> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(data.serveFile)) as Partial<ServeFile>;
    if (typeof parsed.url === "string" && typeof parsed.pid === "number") return { url: parsed.url, pid: parsed.pid };
  } catch {
    // Missing or unreadable: no local server known.
  }
  return undefined;
}
