/**
 * The server's one data folder (`FAASO_DATA`, `/data` in the image): its
 * config, credentials, secrets and state. The server writes nowhere else.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import { FaasoError } from "./errors.ts";
import { formatIssues } from "./manifest.ts";

/** `DATA/config.yml`: settings a self-hoster may write by hand. */
export const ServerConfig = z.object({
  /** The admin password in clear (prefer `password_hash` or FAASO_PASSWORD). */
  password: z.string().min(8, "use at least 8 characters").optional(),
  /** The admin password's hash, as `faaso serve --hash-password` prints it. */
  password_hash: z.string().startsWith("pbkdf2-sha256$", "use a hash from faaso serve --hash-password").optional(),
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

  /** `sleep.json`: which funkos sleep (paused or stopped) on purpose, so that nothing starts them again. */
  get sleepFile(): string {
    return join(this.root, "sleep.json");
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

  /** Writes a file only its owner can read (0600), replacing it atomically. */
  async writePrivate(path: string, text: string): Promise<void> {
    const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeTextFile(temp, text, { mode: 0o600 });
    await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  }
}
