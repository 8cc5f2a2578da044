/**
 * The data folder (`FAASO_DATA`, `/data` in the image, else
 * `~/.local/share/faaso`): the server's config, credentials, secrets and
 * state, and in local mode the CLI's secrets and config. The server writes
 * nowhere else.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { DEFAULT_KEEP_BUILDS } from "./builds.ts";
import { FaasoError } from "./errors.ts";
import { formatIssues } from "./manifest.ts";

/** How many builds of each funko to keep: 1 (only the newest) to 1000. */
const KeepBuilds = z.number().int("use a whole number").min(1, "keep at least 1").max(1000, "keep at most 1000");

/** `DATA/config.yml`: settings a self-hoster may write by hand. */
export const ServerConfig = z.object({
  /** The admin password in clear (prefer `password_hash` or FAASO_PASSWORD). */
  password: z.string().min(8, "use at least 8 characters").optional(),
  /** The admin password's hash, as `faaso serve --hash-password` prints it. */
  password_hash: z.string().startsWith("pbkdf2-sha256$", "use a hash from faaso serve --hash-password").optional(),
  /** How many builds of each funko to keep (FAASO_KEEP_BUILDS overrides it). */
  keep_builds: KeepBuilds.optional(),
}).strict();

/** A validated `config.yml`. */
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The data folder's layout. */
export class DataFolder {
  /** Absolute path of the folder. */
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  /** The folder FAASO_DATA names, or the user's data folder (`~/.local/share/faaso`). */
  static fromEnv(): DataFolder {
    const explicit = Deno.env.get("FAASO_DATA");
    if (explicit) return new DataFolder(explicit);
    const xdg = Deno.env.get("XDG_DATA_HOME");
    const home = Deno.env.get("HOME") ?? ".";
    return new DataFolder(join(xdg || join(home, ".local", "share"), "faaso"));
  }

  /** `config.yml`, written by people. */
  get configFile(): string {
    return join(this.root, "config.yml");
  }

  /** `auth.json`: the password hash the server generated and the token signing key. */
  get authFile(): string {
    return join(this.root, "auth.json");
  }

  /** `secrets/`: funko secrets, one folder per funko. */
  get secretsFolder(): string {
    return join(this.root, "secrets");
  }

  /** `uploads/`: build contexts being received. */
  get uploadsFolder(): string {
    return join(this.root, "uploads");
  }

  /** `metrics-token`: the read-only token for /metrics and the traffic figures (generated on first start). */
  get metricsTokenFile(): string {
    return join(this.root, "metrics-token");
  }

  /** `serve.json`: where the running `faaso serve` of this folder listens, for the CLI on this machine. */
  get serveFile(): string {
    return join(this.root, "serve.json");
  }

  /** Creates the folder (mode 0700) if needed. */
  async ensure(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o700 });
  }

  /** Reads `config.yml`; an absent file is an empty config. */
  async readConfig(): Promise<ServerConfig> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.configFile);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return {};
      throw error;
    }
    const { parse } = await import("yaml");
    const data = parse(text) ?? {};
    const parsed = ServerConfig.safeParse(data, { reportInput: true });
    if (!parsed.success) throw new FaasoError(`${this.configFile}: ${formatIssues(parsed.error)}`);
    return parsed.data;
  }

  /**
   * How many builds of each funko to keep: FAASO_KEEP_BUILDS, else
   * `keep_builds` in config.yml, else {@linkcode DEFAULT_KEEP_BUILDS}.
   */
  async keepBuilds(): Promise<number> {
    const fromEnv = Deno.env.get("FAASO_KEEP_BUILDS");
    if (fromEnv) {
      const parsed = KeepBuilds.safeParse(/^\d+$/.test(fromEnv) ? Number(fromEnv) : NaN);
      if (!parsed.success) throw new FaasoError(`FAASO_KEEP_BUILDS=${fromEnv}: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    }
    return (await this.readConfig()).keep_builds ?? DEFAULT_KEEP_BUILDS;
  }

  /** Writes a file only its owner can read (0600), replacing it atomically. */
  async writePrivate(path: string, text: string): Promise<void> {
    const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeTextFile(temp, text, { mode: 0o600 });
    await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  }
}
