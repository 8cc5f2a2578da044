/**
 * Buffered reading of HTTP/1.1 messages from one connection: heads up to the
 * blank line, and bodies by Content-Length, chunked encoding or until close.
 * Both sides use it: the listener reading requests and the upstream
 * client reading answers. Failures are {@linkcode UpstreamError}s of kind
 * `reset` (the peer closed) or `protocol` (not HTTP).
 *
 * @module
 */
import { type Framing, UpstreamError } from "./head.ts";

const CRLF = new Uint8Array([13, 10]);
const CHUNK_SIZE = /^[0-9a-f]{1,15}(;.*)?$/i;
/** Heads are Latin-1 (RFC 9110 section 5.5): every byte is one character, none is lost. */
const latin1Decoder = new TextDecoder("latin1");
/** For heads of ASCII only (nearly all), where it gives the same text about three times faster than Latin-1. */
const asciiDecoder = new TextDecoder();

/**
 * Small copies are views of shared slabs, as Node's Buffer pool hands them
 * out: in Deno every new Uint8Array costs ~300 ns (its own backing store),
 * a view of a slab ~30. A slab is only ever appended to, so a view stays
 * valid; one that outlives the others keeps its slab (16 KiB) alive.
 */
const SLAB_SIZE = 16 * 1024;
/** Copies larger than this get an array of their own. */
const SLAB_MAX_COPY = 2 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** A copy of `bytes[start, end)`: a view of a slab when small. */
function copyOf(bytes: Uint8Array<ArrayBuffer>, start: number, end: number): Uint8Array<ArrayBuffer> {
  const count = end - start;
  if (count > SLAB_MAX_COPY) return bytes.slice(start, end);
  if (slabUsed + count > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const copy = slab.subarray(slabUsed, slabUsed + count);
  copy.set(bytes.subarray(start, end));
  slabUsed += count;
  return copy;
}

function latin1(bytes: Uint8Array): string {
  return latin1Decoder.decode(bytes);
}

/** Reads HTTP/1.1 heads and bodies from a connection through one growing buffer. */
export class Http1Reader {
  #conn: Deno.Conn;
  #buf: Uint8Array<ArrayBuffer>;
  #start = 0;
  #end = 0;
  #headIsAscii = true;
  /** Bytes read since {@linkcode Http1Reader.resetCount}. */
  received = 0;

  constructor(conn: Deno.Conn, size = 16 * 1024) {
    this.#conn = conn;
    this.#buf = new Uint8Array(size);
  }

  /** How many bytes are read but not yet taken. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Starts counting received bytes again (a new message). */
  resetCount(): void {
    this.received = 0;
  }

  /**
   * The text of the next head (without its blank line), or null when the
   * connection ends before any byte of it. Fails with `protocol` when the head
   * exceeds `maxBytes`, with `reset` when the connection ends inside it.
   */
  async readHead(maxBytes: number): Promise<string | null> {
    while (true) {
      const text = this.bufferedHead(maxBytes);
      if (text !== undefined) return text;
      if (this.#end - this.#start > maxBytes) throw new UpstreamError("protocol", "head too large", false);
      if (!await this.fill()) {
        if (this.#end === this.#start) return null;
        throw new UpstreamError("reset", "the connection closed in the middle of a head", false);
      }
    }
  }

  /**
   * The text of the next head when it is here in full, without waiting (the
   * common case for a kept-alive client): else undefined, and
   * {@linkcode Http1Reader.readHead} reads on. Fails with `protocol` when the
   * head exceeds `maxBytes`.
   */
  bufferedHead(maxBytes: number): string | undefined {
    const end = this.#findHeadEnd();
    if (end < 0) return undefined;
    if (end - this.#start > maxBytes) throw new UpstreamError("protocol", "head too large", false);
    const bytes = this.#buf.subarray(this.#start, end);
    const text = this.#headIsAscii ? asciiDecoder.decode(bytes) : latin1(bytes);
    this.#start = end + 4;
    return text;
  }

  /** The next piece of a body, or null at its end; `framing` keeps the position. */
  async readBody(framing: Framing): Promise<Uint8Array<ArrayBuffer> | null> {
    if (framing.kind === "length") {
      if (framing.remaining === 0) return null;
      const chunk = this.#start < this.#end
        ? this.take(Math.min(framing.remaining, this.#end - this.#start))
        : await this.#readDirect(framing.remaining);
      if (!chunk) throw new UpstreamError("reset", "the connection closed in the middle of a body", false);
      framing.remaining -= chunk.length;
      return chunk;
    }
    if (framing.kind === "close") {
      return this.#start < this.#end ? this.take(this.#end - this.#start) : await this.#readDirect(Infinity);
    }
    if (framing.kind !== "chunked") return null;
    // Chunked: "SIZE[;ext]\r\nDATA\r\n" ... "0\r\n[trailers]\r\n".
    if (!framing.chunkLeft) {
      const line = await this.#readLine();
      if (!CHUNK_SIZE.test(line)) throw new UpstreamError("protocol", `bad chunk size ${JSON.stringify(line)}`, false);
      const size = parseInt(line, 16);
      if (size === 0) {
        while ((await this.#readLine()) !== "") {
          // Trailers are dropped.
        }
        framing.chunkLeft = -1;
        return null;
      }
      framing.chunkLeft = size;
    }
    if (framing.chunkLeft < 0) return null;
    if (this.#start === this.#end && !await this.fill()) {
      throw new UpstreamError("reset", "the connection closed in the middle of a chunk", false);
    }
    const chunk = this.take(Math.min(framing.chunkLeft, this.#end - this.#start));
    framing.chunkLeft -= chunk.length;
    if (framing.chunkLeft === 0 && (await this.#readLine()) !== "") {
      throw new UpstreamError("protocol", "a chunk does not end with CRLF", false);
    }
    return chunk;
  }

  /** Reads more into the buffer; false at the end of the stream. Never call it twice at once. */
  fill(): Promise<boolean> {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#end === this.#buf.length) {
      if (this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
    }
    // Not an async function: the hot path of every request, where its frame and promise would be garbage.
    try {
      return this.#conn.read(this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end)).then(this.#afterRead);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #afterRead = (read: number | null): boolean => {
    if (read === null) return false;
    this.#end += read;
    this.received += read;
    return true;
  };

  /** Takes `count` buffered bytes (a copy). */
  take(count: number): Uint8Array<ArrayBuffer> {
    const chunk = copyOf(this.#buf, this.#start, this.#start + count);
    this.#start += count;
    return chunk;
  }

  /** Takes everything buffered: what follows a head when the connection changes protocol. */
  takeAll(): Uint8Array<ArrayBuffer> {
    return this.take(this.#end - this.#start);
  }

  /** Reads up to `max` bytes (at most 64 KiB) straight into a new array, bypassing the buffer; null at the end. */
  async #readDirect(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    const chunk = new Uint8Array(Math.min(max, 64 * 1024));
    const read = await this.#conn.read(chunk);
    if (read === null) return null;
    this.received += read;
    return chunk.subarray(0, read);
  }

  async #readLine(): Promise<string> {
    let at = this.#find(CRLF);
    while (at < 0) {
      if (this.#end - this.#start > 8192) throw new UpstreamError("protocol", "a chunk line is too long", false);
      if (!await this.fill()) throw new UpstreamError("reset", "the connection closed in the middle of a body", false);
      at = this.#find(CRLF);
    }
    const line = latin1(this.#buf.subarray(this.#start, at));
    this.#start = at + 2;
    return line;
  }

  /**
   * Where the buffered head ends (its blank line), or -1; notes on the way
   * whether every byte of it is ASCII, which decides how it is decoded.
   */
  #findHeadEnd(): number {
    const buf = this.#buf;
    let seen = 0;
    for (let i = this.#start, last = this.#end - 4; i <= last; i++) {
      const byte = buf[i]!;
      seen |= byte;
      if (byte === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) {
        this.#headIsAscii = seen < 128;
        return i;
      }
    }
    return -1;
  }

  #find(pattern: Uint8Array): number {
    const buf = this.#buf;
    outer: for (let i = this.#start; i <= this.#end - pattern.length; i++) {
      for (let j = 0; j < pattern.length; j++) if (buf[i + j] !== pattern[j]) continue outer;
      return i;
    }
    return -1;
  }
}
