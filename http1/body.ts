/**
 * A message body as it comes off a connection: a request's body in the
 * listener, an answer's body in the upstream client. It is a ReadableStream
 * like any other (each read a copy, which the reader may keep), and it can
 * also be copied straight to another connection with
 * {@linkcode Http1Body.copyTo}, which is how the proxy passes bodies on.
 *
 * @module
 */
import { type Framing, UpstreamError } from "./head.ts";
import type { Http1Reader } from "./reader.ts";

/** What the side that owns the connection is told while its body is read. */
export interface BodyEvents {
  /** Before each read: a deadline for it may start. */
  reading?(): void;
  /** After each read. */
  read?(): void;
  /** The body was read to its end. */
  ended(): void;
  /**
   * Reading failed: returns the error the body's reader gets. An
   * {@linkcode UpstreamError} of kind `aborted` (the client went away) ends
   * a stream quietly instead: nobody reads on, and it is no error worth a log
   * line.
   */
  failed(error: unknown): unknown;
  /** Nobody reads on: the stream was cancelled, or what it was copied to broke. */
  abandoned?(): void;
}

/** A body read from an HTTP/1.1 connection, by its framing. */
export class Http1Body extends ReadableStream<Uint8Array<ArrayBuffer>> {
  #reader: Http1Reader;
  #framing: Framing;
  #events: BodyEvents;
  #reading = false;
  /** Bytes read so far, and who is told their count at the end (see {@linkcode Http1Body.count}). */
  #bytes = 0;
  #counted: ((bytes: number) => void) | undefined;

  constructor(reader: Http1Reader, framing: Framing, events: BodyEvents) {
    super({
      pull: async (controller) => {
        const piece = await this.#next(false).catch((error) => this.#failure(error));
        if (piece instanceof Uint8Array) controller.enqueue(piece);
        else if (piece === null) controller.close();
        else if (piece.error instanceof UpstreamError && piece.error.kind === "aborted") controller.close();
        else controller.error(piece.error);
      },
      cancel: () => this.#abandon(),
    }, { highWaterMark: 0 });
    this.#reader = reader;
    this.#framing = framing;
    this.#events = events;
  }

  /**
   * Has `end` told, once, how many bytes were read when the body ends, fails
   * or is abandoned, however it is read. For the access log: wrapping the
   * body in a counting stream would take {@linkcode Http1Body.copyTo} away
   * from it (3x the proxy's CPU per MB, see there). Returns the body.
   */
  count(end: (bytes: number) => void): this {
    this.#counted = end;
    return this;
  }

  /**
   * Sends the body on through `write`, piece by piece, each a view of the
   * connection's read buffer, valid only until `write` settles: the next
   * read goes into the same buffer. What it buys, measured on a loaded
   * machine (a minimal proxy on this stack, 100 MB through it by curl, proxy
   * CPU per 100 MB, two alternating rounds): the body read as this stream
   * (a copy per read) 286-383 ms down and 170-183 up, peak RSS 112 MB; with
   * copyTo 100-103 ms down, 86-90 up, peak RSS 46 MB (main before issue 20:
   * 216-283 and 136-146 ms, 78-79 MB). Fails with the body's failure, or with
   * `write`'s (the body is then abandoned). The stream must not have been
   * read from; it is locked from then on.
   */
  async copyTo(write: (piece: Uint8Array<ArrayBuffer>) => Promise<unknown>): Promise<void> {
    if (this.locked || this.#reading) throw new TypeError("Cannot copy a body that is being read");
    this.getReader();
    while (true) {
      let piece: Uint8Array<ArrayBuffer> | null;
      try {
        piece = await this.#next(true);
      } catch (error) {
        throw this.#failure(error).error;
      }
      if (piece === null) return;
      try {
        await write(piece);
      } catch (error) {
        this.#abandon();
        throw error;
      }
    }
  }

  /** The next piece (a copy, or a view), or null at the end (told to the owner). */
  async #next(view: boolean): Promise<Uint8Array<ArrayBuffer> | null> {
    this.#reading = true;
    this.#events.reading?.();
    const piece = await this.#reader.readBody(this.#framing, view);
    this.#reading = false;
    this.#events.read?.();
    if (piece === null) {
      this.#events.ended();
      this.#tell();
    } else this.#bytes += piece.length;
    return piece;
  }

  #failure(error: unknown): { error: unknown } {
    this.#reading = false;
    this.#tell();
    return { error: this.#events.failed(error) };
  }

  #abandon(): void {
    this.#tell();
    this.#events.abandoned?.();
  }

  /** Tells the byte count, once. */
  #tell(): void {
    const counted = this.#counted;
    this.#counted = undefined;
    counted?.(this.#bytes);
  }
}
