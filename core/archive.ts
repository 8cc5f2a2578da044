/**
 * Folders as tar streams, for build contexts: packed file by file, never
 * buffered whole.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { createTarPacker } from "modern-tar";

/** A regular file found by {@linkcode walkFiles}. */
export interface WalkedFile {
  /** Absolute path. */
  path: string;
  /** Path relative to the walked folder, with `/` separators. */
  relative: string;
  /** Unix permission bits. */
  mode: number;
  /** Size in bytes. */
  size: number;
}

/** Options for {@linkcode walkFiles}. */
export interface WalkOptions {
  /** Names skipped wherever they appear (e.g. `.git`). */
  skipNames?: string[];
  /** Relative paths skipped (files or whole folders), e.g. `template`. */
  skipPaths?: string[];
}

/**
 * Lists the regular files under `root`, sorted, following symbolic links.
 * Throws when a link loops or points to something that is not a file or folder.
 */
export async function walkFiles(root: string, options: WalkOptions = {}): Promise<WalkedFile[]> {
  const skipNames = new Set(options.skipNames ?? []);
  const skipPaths = new Set(options.skipPaths ?? []);
  const files: WalkedFile[] = [];
  async function walk(folder: string, depth: number): Promise<void> {
    if (depth > 32) throw new Error(`Cannot read ${folder}: folders nest too deep (a symbolic link loop?)`);
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(folder)) entries.push(entry);
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const entry of entries) {
      const path = join(folder, entry.name);
      const rel = relative(root, path).split("\\").join("/");
      if (skipNames.has(entry.name) || skipPaths.has(rel)) continue;
      const info = await Deno.stat(path);
      if (info.isDirectory) await walk(path, depth + 1);
      else if (info.isFile) files.push({ path, relative: rel, mode: (info.mode ?? 0o644) & 0o777, size: info.size });
      else throw new Error(`Cannot pack ${path}: only files and folders can go into a build context`);
    }
  }
  await walk(root, 0);
  return files;
}

/**
 * Packs files into a tar stream, reading each file only when the consumer
 * asks for it. Modification times are fixed so that equal sources give equal
 * archives.
 */
export function tarFiles(files: WalkedFile[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  (async () => {
    for (const file of files) {
      const sink = controller.add({
        name: file.relative,
        size: file.size,
        mode: file.mode,
        mtime: new Date(0),
        type: "file",
      });
      const source = await Deno.open(file.path);
      await source.readable.pipeTo(sink);
    }
    controller.finalize();
  })().catch((error) => controller.error(error));
  return readable;
}

/**
 * SHA-256 of a build context: each file's path, mode and size, then its
 * bytes, in archive order. The CLI computes it from files on disk and the
 * server from an uploaded archive, and both get the same value.
 */
export class ContextHash {
  #hash = createHash("sha256");

  /** Starts a file; its bytes follow through {@linkcode ContextHash.update}. */
  file(path: string, mode: number, size: number): void {
    this.#hash.update(`${path}\0${(mode & 0o777).toString(8)}\0${size}\0`);
  }

  /** Adds bytes of the current file. */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
  }

  /** The hash, in hex. */
  digest(): string {
    return this.#hash.digest("hex");
  }
}
