/**
 * Buffered reading of HTTP/1.1 messages from one connection: heads up to the
 * blank line, and bodies by Content-Length, chunked encoding or until close.
 * Both sides use it: the listener reading requests and the upstream
 * client reading answers. Failures are {@linkcode UpstreamError}s of kind
 * `reset` (the peer closed) or `protocol` (not HTTP).
 *
 * @module
 */
import { BAD_VALUE, fieldValue, type Framing, HeadTooLargeError, isToken, UpstreamError } from "./head.ts";

const CRLF = new Uint8Array([13, 10]);
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t !#-\\[\\]-~\\x80-\\xff]|\\\\[\\t -~\\x80-\\xff])*"';
/**
 * A chunk's size line (RFC 9112 section 7.1.1): hex digits, then extensions,
 * each `BWS ; BWS name [ BWS = BWS ( token / quoted-string ) ]`. Whitespace
 * only before a `;`, nothing else after the size: a size read as its longest
 * valid prefix is how chunked bodies get smuggled.
 */
const CHUNK_LINE = new RegExp(
  `^([0-9A-Fa-f]{1,16})(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*$`,
);
/** The trailer section of a chunked body: at most this many bytes (as a head). */
const MAX_TRAILERS = 64 * 1024;
/** For heads of ASCII only (nearly all): the same text as Latin-1, fast. */
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

/**
 * Bytes as Latin-1 text, each byte one character (RFC 9110 section 5.5). Not
 * `TextDecoder("latin1")`, which is windows-1252 by the Encoding Standard:
 * it turns 0x80-0x9F into other characters (0x80 into U+20AC), so such a
 * byte would not go on as itself.
 */
export function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let at = 0; at < bytes.length; at += 8192) {
    text += String.fromCharCode.apply(null, bytes.subarray(at, at + 8192) as unknown as number[]);
  }
  return text;
}

/** Reads HTTP/1.1 heads and bodies from a connection through one growing buffer. */
export class Http1Reader {
  #conn: Deno.Conn;
  #buf: Uint8Array<ArrayBuffer>;
  #start = 0;
  #end = 0;
  #headIsAscii = true;
  /** The read in progress: a second caller joins it rather than reading into the same buffer at once. */
  #filling: Promise<boolean> | undefined;
  /**
   * Whether the last head {@linkcode Http1Reader.bufferedHead} returned holds
   * a control byte or a CR or LF outside a CRLF pair (what `FORBIDDEN` in
   * head.ts matches): the parsers take it instead of testing the text again.
   */
  headSuspect = false;
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
   * connection ends before any byte of it. Fails with a
   * {@linkcode HeadTooLargeError} when the head exceeds `maxBytes`, with
   * `reset` when the connection ends inside it. While the head is incomplete,
   * `checkPartial` sees what came so far and may throw: a head that can never
   * become valid is refused at once, not after a timeout.
   */
  async readHead(maxBytes: number, checkPartial?: (text: string) => void): Promise<string | null> {
    while (true) {
      const text = this.bufferedHead(maxBytes);
      if (text !== undefined) return text;
      const buffered = this.#end - this.#start;
      if (buffered > maxBytes) throw new HeadTooLargeError();
      if (buffered > 0 && checkPartial) checkPartial(latin1(this.#buf.subarray(this.#start, this.#end)));
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
    if (end - this.#start > maxBytes) throw new HeadTooLargeError();
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
      const size = chunkSize(await this.#readLine());
      if (size === 0) {
        await this.#skipTrailers();
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
    if (framing.chunkLeft === 0) await this.#expectCrlf();
    return chunk;
  }

  /** Reads more into the buffer; false at the end of the stream. A call while a read is pending joins it. */
  fill(): Promise<boolean> {
    if (this.#filling) return this.#filling;
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
      return this.#filling = this.#conn.read(this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end)).then(
        this.#afterRead,
        this.#readFailed,
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Whether a read is pending (the connection's idle watch, or a wait for more). */
  get filling(): boolean {
    return this.#filling !== undefined;
  }

  #readFailed = (error: unknown): never => {
    this.#filling = undefined;
    throw error;
  };

  #afterRead = (read: number | null): boolean => {
    this.#filling = undefined;
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

  /** The next line of a chunked body (without its CRLF); a bare CR or LF fails at once, not after a timeout. */
  async #readLine(): Promise<string> {
    let at = this.#find(CRLF);
    while (at < 0) {
      if (this.#end - this.#start > 8192) throw new UpstreamError("protocol", "a chunk line is too long", false);
      this.#refuseBareLineEnd();
      if (!await this.fill()) throw new UpstreamError("reset", "the connection closed in the middle of a body", false);
      at = this.#find(CRLF);
    }
    const line = latin1(this.#buf.subarray(this.#start, at));
    this.#start = at + 2;
    if (line.includes("\n") || line.includes("\r")) {
      throw new UpstreamError("protocol", "a line of a chunked body ends with a bare CR or LF", false);
    }
    return line;
  }

  /** A buffered LF, or a CR followed by anything but LF, where a chunked body's line should end. */
  #refuseBareLineEnd(): void {
    const buf = this.#buf;
    for (let i = this.#start; i < this.#end; i++) {
      const byte = buf[i];
      if (byte === 10 || (byte === 13 && i + 1 < this.#end && buf[i + 1] !== 10)) {
        throw new UpstreamError("protocol", "a line of a chunked body ends with a bare CR or LF", false);
      }
    }
  }

  /** The CRLF after a chunk's data; anything else fails at once. */
  async #expectCrlf(): Promise<void> {
    while (this.#end - this.#start < 2) {
      if (!await this.fill()) throw new UpstreamError("reset", "the connection closed in the middle of a body", false);
    }
    if (this.#buf[this.#start] !== 13 || this.#buf[this.#start + 1] !== 10) {
      throw new UpstreamError("protocol", "a chunk's data does not end with CRLF", false);
    }
    this.#start += 2;
  }

  /** Reads the trailer section after the last chunk: field lines (checked, then dropped) up to an empty line. */
  async #skipTrailers(): Promise<void> {
    let size = 0;
    while (true) {
      const line = await this.#readLine();
      if (line === "") return;
      size += line.length + 2;
      const colon = line.indexOf(":");
      if (size > MAX_TRAILERS || colon <= 0 || !isToken(line.slice(0, colon))) {
        throw new UpstreamError("protocol", "a bad trailer section after a chunked body", false);
      }
      if (BAD_VALUE.test(fieldValue(line, colon + 1, line.length))) {
        throw new UpstreamError("protocol", "a bad trailer value after a chunked body", false);
      }
    }
  }

  /**
   * Where the buffered head ends (its blank line), or -1; notes on the way
   * whether every byte of it is ASCII, which decides how it is decoded.
   */
  #findHeadEnd(): number {
    const buf = this.#buf;
    let seen = 0;
    let suspect = false;
    for (let i = this.#start, last = this.#end - 4; i <= last; i++) {
      const byte = buf[i]!;
      seen |= byte;
      // What FORBIDDEN (head.ts) matches, found on the way: a regular expression over the text cost ~5x more.
      if (byte < 32 || byte === 127) {
        if (byte === 13) {
          if (buf[i + 1] !== 10) suspect = true;
          else if (buf[i + 2] === 13 && buf[i + 3] === 10) {
            this.#headIsAscii = seen < 128;
            this.headSuspect = suspect;
            return i;
          }
        } else if (byte !== 9 && (byte !== 10 || buf[i - 1] !== 13 || i === this.#start)) suspect = true;
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

/** The size of a chunk from its size line; fails when the line is not one (see `CHUNK_LINE`). */
function chunkSize(line: string): number {
  const parts = CHUNK_LINE.exec(line);
  const size = parts ? parseInt(parts[1]!, 16) : NaN;
  if (!(size <= Number.MAX_SAFE_INTEGER)) throw new UpstreamError("protocol", "a bad chunk-size line", false);
  return size;
}
