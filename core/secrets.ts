/**
 * Funko secrets: one file per secret in the data folder's `secrets/FUNKO/`,
 * mounted read-only into the funko's instances at `/secrets`. Values go in and
 * are never read back by any API: only the instances see them.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "zod";
import type { DataFolder } from "./data_folder.ts";
import { FaasoError, notFound } from "./errors.ts";
import { checkFunkoName, FUNKO_NAME_PATTERN } from "./names.ts";
import type { LifecycleDeps } from "./scale.ts";

/** The user the runtimes' instances run as; secret files belong to it so that it alone (and root) can read them. */
export const INSTANCE_UID = 10001;

/** The largest secret accepted. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Where instances find their secrets. */
export const SECRETS_MOUNT = "/secrets";

/** A secret's name: a plain file name. */
export const SecretName = z.string().regex(
  /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/,
  "use letters, digits, '_', '-' and '.' (1-128 characters, not starting with '.' or '-')",
);

/** Options for {@linkcode SecretStore}. */
export interface SecretStoreOptions {
  /**
   * Turns a path of this process into the engine host's path of the same
   * folder (FaaSO in a container), as instances mount it. Default: the same.
   */
  hostPath?: (path: string) => string | Promise<string>;
}

/**
 * Where funko secrets are kept: files in the data folder (this module), or
 * Swarm secrets (core/swarm/secrets.ts). Values go in and never come back out.
 */
export interface SecretBackend {
  /** Where the values are kept, when not in a data folder: said with every change. */
  readonly where?: string;
  /** Stores (or replaces) a secret. */
  add(funko: string, name: string, value: Uint8Array): Promise<void>;
  /** The names of a funko's secrets, sorted. */
  list(funko: string): Promise<string[]>;
  /** Every funko's secret names. */
  listAll(): Promise<Record<string, string[]>>;
  /** Removes a secret; an unknown one is an error. */
  remove(funko: string, name: string): Promise<void>;
  /** Removes every secret of a funko. */
  removeAll(funko: string): Promise<void>;
  /** What a change to the funko's secrets means for its running instances. */
  changeNote(deps: LifecycleDeps, funko: string): Promise<string>;
}

/** The secrets of every funko, in a data folder. */
export class SecretStore implements SecretBackend {
  #root: string;
  #hostPath: (path: string) => string | Promise<string>;

  constructor(data: DataFolder, options: SecretStoreOptions = {}) {
    this.#root = data.secretsFolder;
    this.#hostPath = options.hostPath ?? ((path) => path);
  }

  /** The folder holding every funko's secrets folder. */
  get root(): string {
    return this.#root;
  }

  /** The folder of a funko's secrets (created, empty, if needed): what instances mount. */
  async folderOf(funko: string): Promise<string> {
    const folder = join(this.#root, checkFunkoName(funko));
    await Deno.mkdir(this.#root, { recursive: true, mode: 0o700 });
    await Deno.chmod(this.#root, 0o700);
    await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
    await giveToInstances(folder, 0o700);
    return folder;
  }

  /** The folder of a funko's secrets as the engine's host sees it: what instances mount at /secrets. */
  async hostFolderOf(funko: string): Promise<string> {
    return await this.#hostPath(await this.folderOf(funko));
  }

  /** Stores (or replaces) a secret, atomically, readable only by the instances' user. */
  async add(funko: string, name: string, value: Uint8Array): Promise<void> {
    checkSecretName(name);
    if (value.length === 0) throw new FaasoError(`Cannot store the secret ${name}: the value is empty`);
    if (value.length > MAX_SECRET_BYTES) {
      throw new FaasoError(`Cannot store the secret ${name}: it is larger than ${MAX_SECRET_BYTES} bytes`, {
        status: 413,
      });
    }
    const folder = await this.folderOf(funko);
    const temp = join(folder, `.${name}.${crypto.randomUUID().slice(0, 8)}`);
    try {
      await Deno.writeFile(temp, value, { mode: 0o600 });
      await giveToInstances(temp, 0o600);
      await Deno.rename(temp, join(folder, name));
    } catch (error) {
      await Deno.remove(temp).catch(() => {});
      throw error;
    }
  }

  /** The names of a funko's secrets, sorted. */
  async list(funko: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(join(this.#root, checkFunkoName(funko)))) {
        if (entry.isFile && !entry.name.startsWith(".")) names.push(entry.name);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return names.sort();
  }

  /** Every funko's secret names. */
  async listAll(): Promise<Record<string, string[]>> {
    const all: Record<string, string[]> = {};
    try {
      for await (const entry of Deno.readDir(this.#root)) {
        if (!entry.isDirectory || !FUNKO_NAME_PATTERN.test(entry.name)) continue;
        const names = await this.list(entry.name);
        if (names.length) all[entry.name] = names;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return Object.fromEntries(Object.entries(all).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** What a change means for the running instances: see {@linkcode secretChangeNote}. */
  changeNote(deps: LifecycleDeps, funko: string): Promise<string> {
    return secretChangeNote(deps, this, funko);
  }

  /** Removes a secret; an unknown one is an error. */
  async remove(funko: string, name: string): Promise<void> {
    checkSecretName(name);
    try {
      await Deno.remove(join(this.#root, checkFunkoName(funko), name));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw notFound(`${funko} has no secret named ${name}`);
      throw error;
    }
  }

  /** Removes every secret of a funko, and its folder. */
  async removeAll(funko: string): Promise<void> {
    await Deno.remove(join(this.#root, checkFunkoName(funko)), { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  }
}

/**
 * What a change to `funko`'s secrets in `store` means for its running
 * instances, said the same way by the CLI, the admin API and the web UI. An
 * instance sees the store it was started with (a mount): instances started by
 * local mode and by a server, or by servers with different data folders, do
 * not share secrets, and the note says so rather than promise what is not so.
 */
export async function secretChangeNote(deps: LifecycleDeps, store: SecretStore, funko: string): Promise<string> {
  const folder = await store.hostFolderOf(funko);
  const live = (await deps.instances.list(funko)).filter((instance) =>
    instance.state === "running" || instance.state === "restarting"
  );
  if (live.length === 0) {
    return `${funko} has no running instance; the next ones started with this store see it in ${SECRETS_MOUNT}`;
  }
  const mounts = await Promise.all(
    live.map(async (instance) => (await deps.instances.get(instance.id))?.secretsFolder),
  );
  const elsewhere = mounts.filter((mount) => mount !== folder);
  if (elsewhere.length === 0) {
    return `Running instances of ${funko} see it in ${SECRETS_MOUNT} at once (a read-only mount of its secrets ` +
      `folder); an app that reads secrets only when it starts needs faaso deploy ${funko} --force`;
  }
  const other = elsewhere.find((mount) => mount !== undefined) ?? "no secrets folder";
  const one = elsewhere.length === 1;
  const which = elsewhere.length < live.length
    ? `${elsewhere.length} of the ${live.length} running instances of ${funko} ${one ? "was" : "were"}`
    : one
    ? `The running instance of ${funko} was`
    : `The ${live.length} running instances of ${funko} were`;
  return `${which} started with another secrets store (${other}) and ${one ? "does" : "do"} not see it: ` +
    "local mode and a server, or two servers, keep separate stores. " +
    `faaso deploy ${funko} --force, run the way this command was, restarts them with this store`;
}

/** Throws a FaasoError naming what is wrong when `name` is not a secret name. */
export function checkSecretName(name: string): void {
  const parsed = SecretName.safeParse(name);
  if (!parsed.success) throw new FaasoError(`Secret name ${name}: ${parsed.error.issues[0]?.message}`);
}

/**
 * Hands a secret file or folder to the instances' user, with `mode` (0600 or
 * 0700). Only root may change owners: anyone else keeps the file and opens it
 * to all (0644, 0755) so that the instances' user can read it through the
 * mount; the data folder above it stays private to its owner (0700), so no
 * other user of the host reaches it.
 */
async function giveToInstances(path: string, mode: number): Promise<void> {
  try {
    await Deno.chown(path, INSTANCE_UID, INSTANCE_UID);
    await Deno.chmod(path, mode);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    await Deno.chmod(path, mode | 0o044 | (mode & 0o100 ? 0o011 : 0));
  }
}
