/**
 * Large transfers for the proxy tests: bodies made and checked block by block
 * (never held whole), a process's memory sampled while they run, and build
 * contexts made by hand.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { createTarPacker } from "modern-tar";

/**
 * A stream of `size` pseudo-random bytes in 1 MiB blocks, each block told
 * apart by its number in its first bytes, and a promise of its SHA-256.
 */
export function patternStream(size: number, seed: number): [ReadableStream<Uint8Array>, Promise<string>] {
  const hash = createHash("sha256");
  const block = new Uint8Array(1 << 20).map((_, i) => (i * 31 + seed) & 0xff);
  let sent = 0;
  const { promise, resolve } = Promise.withResolvers<string>();
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= size) {
        resolve(hash.digest("hex"));
        controller.close();
        return;
      }
      const n = Math.min(block.length, size - sent);
      const next = block.slice(0, n);
      new DataView(next.buffer).setFloat64(0, sent / block.length);
      hash.update(next);
      controller.enqueue(next);
      sent += n;
    },
  });
  return [stream, promise];
}

/** The SHA-256 of what the echo funko's GET /bytes/SIZE sends: i % 251 in each 64 KiB block. */
export function bytesDigest(size: number): string {
  const block = new Uint8Array(65536).map((_, i) => i % 251);
  const hash = createHash("sha256");
  for (let sent = 0; sent < size; sent += block.length) {
    hash.update(block.subarray(0, Math.min(block.length, size - sent)));
  }
  return hash.digest("hex");
}

/** What a sampler saw of a process's resident memory. */
export interface RssSamples {
  /** The largest resident set, in bytes. */
  max: number;
  /** How many samples were taken. */
  count: number;
}

/** A process's resident memory, sampled every `everyMs` until stopped. */
export interface RssSampler {
  /** Stops sampling and reports. */
  stop(): Promise<RssSamples>;
}

/** The resident set of process `pid` (VmRSS in /proc, as seen from the host), in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`No VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** Samples the resident memory of `pid` every `everyMs` (a read of /proc: no load on the process). */
export function sampleRss(pid: number, everyMs = 50): RssSampler {
  const samples: RssSamples = { max: 0, count: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.max = Math.max(samples.max, await rssOf(pid));
      samples.count++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/** A tar.gz of `entries` (a header and its text each), with whatever headers a test needs, even bad ones. */
export async function tarGz(...entries: [Record<string, unknown>, string][]): Promise<Uint8Array<ArrayBuffer>> {
  const { readable, controller } = createTarPacker();
  const done = new Response(readable.pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
  for (const [header, body] of entries) {
    const sink = controller.add(header as unknown as Parameters<typeof controller.add>[0]);
    const writer = sink.getWriter();
    if (body && header.type !== "symlink") await writer.write(new TextEncoder().encode(body));
    await writer.close();
  }
  controller.finalize();
  return new Uint8Array(await done);
}
