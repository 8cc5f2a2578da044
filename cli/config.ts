/**
 * The user's FaaSO config: the server to talk to and the token `faaso login`
 * got from it, in `~/.config/faaso/config.json` (mode 0600).
 *
 * @module
 */
import { dirname, join } from "node:path";

/** What the config file holds. */
export interface UserConfig {
  /** The server's URL, e.g. `http://myhost:8888`. */
  server?: string;
  /** The token for that server. */
  token?: string;
}

/** Where the config lives: `$XDG_CONFIG_HOME/faaso/config.json` or `~/.config/faaso/config.json`. */
export function configPath(): string {
  const base = Deno.env.get("XDG_CONFIG_HOME") || join(Deno.env.get("HOME") ?? ".", ".config");
  return join(base, "faaso", "config.json");
}

/** Reads the config; a missing or unreadable file is an empty config. */
export async function readConfig(path = configPath()): Promise<UserConfig> {
  let data: unknown;
  try {
    data = JSON.parse(await Deno.readTextFile(path));
  } catch {
    return {};
  }
  // zod loads only when there is a file to check.
  const { z } = await import("zod");
  const schema = z.object({ server: z.string().url().optional(), token: z.string().optional() });
  const parsed = schema.safeParse(data);
  return parsed.success ? parsed.data : {};
}

/** Writes the config, readable by its owner only. */
export async function writeConfig(config: UserConfig, path = configPath()): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}

/** Where remote commands go: the server and its token, if any. */
export interface ServerTarget {
  /** The server's URL without a trailing slash. */
  url: string;
  /** The token for it, if the user logged in. */
  token?: string;
  /** Where the URL came from. */
  source: "FAASO_SERVER" | "faaso login";
}

/**
 * The server remote commands go to: FAASO_SERVER, else the saved login. The
 * saved token is used only for the server it was issued by; FAASO_TOKEN wins.
 */
export async function serverTarget(): Promise<ServerTarget | undefined> {
  const config = await readConfig();
  const fromEnv = Deno.env.get("FAASO_SERVER");
  const url = (fromEnv || config.server)?.replace(/\/+$/, "");
  if (!url) return undefined;
  const savedFor = config.server?.replace(/\/+$/, "");
  const token = Deno.env.get("FAASO_TOKEN") || (savedFor === url ? config.token : undefined);
  return { url, token, source: fromEnv ? "FAASO_SERVER" : "faaso login" };
}
