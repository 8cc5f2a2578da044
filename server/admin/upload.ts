/**
 * Receiving a remote build's context: a tar.gz the client streams. It is saved
 * to one file in the data folder's uploads/, and every entry is checked before
 * the build uses it: only plain files and folders, relative paths that stay
 * inside the context, and limits on size and count. The engine then gets the
 * same file (it reads gzip itself): nothing is ever unpacked here.
 *
 * @module
 */
import { join } from "node:path";
import { createTarDecoder } from "modern-tar";
import { ContextHash } from "../../core/archive.ts";
import { FaasoError } from "../../core/errors.ts";

/** Limits on an uploaded build context. */
export interface ContextLimits {
  /** Bytes of the compressed upload. */
  maxUploadBytes: number;
  /** Bytes of all files once unpacked. */
  maxUnpackedBytes: number;
  /** Number of entries. */
  maxEntries: number;
}

/** Defaults: 256 MiB uploaded, 1 GiB unpacked, 20,000 entries. */
export const DEFAULT_LIMITS: ContextLimits = {
  maxUploadBytes: 256 * 1024 * 1024,
  maxUnpackedBytes: 1024 * 1024 * 1024,
  maxEntries: 20_000,
};

/** A checked build context on disk; disposing removes it. */
export interface ReceivedContext extends AsyncDisposable {
  /** The saved tar.gz. */
  path: string;
  /** Files in it. */
  files: number;
  /** Their total size. */
  bytes: number;
  /** Its {@linkcode ContextHash}. */
  hash: string;
  /** Opens the file for the engine. */
  open(): Promise<ReadableStream<Uint8Array>>;
}

/**
 * Saves `body` under `folder` and checks every entry. Throws a 400 or 413
 * {@linkcode FaasoError} naming the first offending entry; the file is removed
 * then, and nothing else was written.
 */
export async function receiveContext(
  body: ReadableStream<Uint8Array> | null,
  folder: string,
  limits: ContextLimits = DEFAULT_LIMITS,
): Promise<ReceivedContext> {
  if (!body) throw new FaasoError("Cannot build: the request has no build context (send a tar.gz body)");
  await Deno.mkdir(folder, { recursive: true, mode: 0o700 });
  const path = join(folder, `${crypto.randomUUID()}.tar.gz`);
  const remove = () => Deno.remove(path).catch(() => {});
  try {
    await save(body, path, limits.maxUploadBytes);
    const summary = await check(path, limits);
    return {
      path,
      ...summary,
      open: async () => (await Deno.open(path)).readable,
      [Symbol.asyncDispose]: remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function save(body: ReadableStream<Uint8Array>, path: string, maxBytes: number): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true, mode: 0o600 });
  let total = 0;
  const limit = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        controller.error(
          new FaasoError(`Cannot accept the build context: it is larger than ${maxBytes} bytes`, {
            status: 413,
            code: "too_large",
          }),
        );
        return;
      }
      controller.enqueue(chunk);
    },
  });
  await body.pipeThrough(limit).pipeTo(file.writable);
}

async function check(path: string, limits: ContextLimits): Promise<{ files: number; bytes: number; hash: string }> {
  const refuse = (message: string, status = 400) =>
    new FaasoError(`Cannot accept the build context: ${message}`, { status, code: "bad_context" });
  const file = await Deno.open(path);
  const hash = new ContextHash();
  let entries = 0;
  let files = 0;
  let bytes = 0;
  try {
    const stream = file.readable.pipeThrough(new DecompressionStream("gzip")).pipeThrough(
      createTarDecoder({ strict: true }),
    );
    for await (const entry of stream) {
      const { name, type = "file", size, mode = 0o644 } = entry.header;
      if (++entries > limits.maxEntries) throw refuse(`more than ${limits.maxEntries} entries`, 413);
      const problem = entryProblem(name, type);
      if (problem) {
        await entry.body.cancel();
        throw refuse(`entry ${JSON.stringify(name)}: ${problem}`);
      }
      if (type === "directory") {
        await entry.body.cancel();
        continue;
      }
      bytes += size;
      if (bytes > limits.maxUnpackedBytes) {
        await entry.body.cancel();
        throw refuse(`its files add up to more than ${limits.maxUnpackedBytes} bytes`, 413);
      }
      files++;
      hash.file(normalize(name), mode, size);
      for await (const chunk of entry.body) hash.update(chunk);
    }
  } catch (error) {
    if (error instanceof FaasoError) throw error;
    throw refuse(`it is not a valid tar.gz (${(error as Error).message})`);
  }
  if (files === 0) throw refuse("it holds no files");
  return { files, bytes, hash: hash.digest() };
}

/** What is wrong with an entry, or undefined when it may go into a build context. */
export function entryProblem(name: string, type: string): string | undefined {
  if (type !== "file" && type !== "directory") return `${type} entries are not allowed, only files and folders`;
  if (name.startsWith("/")) return "absolute paths are not allowed";
  if (name.includes("\0")) return "NUL in a path";
  if (normalize(name).split("/").some((part) => part === "..")) return "paths with '..' are not allowed";
  return undefined;
}

function normalize(name: string): string {
  return name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}
