/**
 * Incremental parsers for the engine's streamed answers: newline-delimited
 * JSON (build, pull, events) and the multiplexed log format. Nothing here
 * buffers a whole stream.
 *
 * @module
 */

/**
 * Splits a text stream into lines (without their `\n` or `\r\n`). A last line
 * without a newline is emitted when the stream ends.
 */
export class LineStream extends TransformStream<string, string> {
  #rest = "";

  constructor() {
    super({
      transform: (chunk, controller) => {
        const parts = (this.#rest + chunk).split("\n");
        this.#rest = parts.pop() ?? "";
        for (const line of parts) controller.enqueue(stripCr(line));
      },
      flush: (controller) => {
        if (this.#rest) controller.enqueue(stripCr(this.#rest));
      },
    });
  }
}

/**
 * Turns a byte stream of newline-delimited JSON into parsed values. Blank lines
 * are skipped; a line that is not JSON is an error naming that line.
 */
export function jsonLines<T = unknown>(body: ReadableStream<Uint8Array>): ReadableStream<T> {
  return body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineStream())
    .pipeThrough(
      new TransformStream<string, T>({
        transform(line, controller) {
          if (!line.trim()) return;
          try {
            controller.enqueue(JSON.parse(line) as T);
          } catch {
            controller.error(new Error(`Cannot parse the engine's answer: not JSON: ${line}`));
          }
        },
      }),
    );
}

/** Which output of the container a log chunk came from. */
export type LogStreamName = "stdout" | "stderr";

/** A piece of container output. */
export interface LogChunk {
  /** Where it was written; a TTY container only has `stdout`. */
  stream: LogStreamName;
  /** The bytes written. */
  data: Uint8Array;
}

const HEADER_SIZE = 8;
const STREAM_NAMES: Record<number, LogStreamName> = { 0: "stdout", 1: "stdout", 2: "stderr" };

/**
 * Demultiplexes container logs (`GET /containers/{id}/logs`, `attach`).
 *
 * Without a TTY the engine frames output as an 8-byte header (stream type, three
 * zero bytes, big-endian payload size) followed by the payload; headers and
 * payloads may be split across chunks anyhow. With a TTY the bytes are raw and
 * pass through as `stdout`.
 *
 * @see https://docs.docker.com/engine/api/v1.41/#operation/ContainerAttach
 */
export class LogDemuxStream extends TransformStream<Uint8Array, LogChunk> {
  #buffer: Uint8Array = new Uint8Array(0);

  /** @param tty whether the container was created with `Tty: true` */
  constructor(tty = false) {
    super({
      transform: (chunk, controller) => {
        if (tty) {
          controller.enqueue({ stream: "stdout", data: chunk });
          return;
        }
        this.#buffer = concat(this.#buffer, chunk);
        while (this.#buffer.length >= HEADER_SIZE) {
          const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset);
          const type = this.#buffer[0] ?? 0;
          const size = view.getUint32(4);
          if (this.#buffer.length < HEADER_SIZE + size) break;
          const data = this.#buffer.slice(HEADER_SIZE, HEADER_SIZE + size);
          this.#buffer = this.#buffer.subarray(HEADER_SIZE + size);
          if (size > 0) controller.enqueue({ stream: STREAM_NAMES[type] ?? "stdout", data });
        }
      },
      flush: (controller) => {
        if (this.#buffer.length > 0) {
          controller.error(
            new Error(`Cannot read the container's logs: ${this.#buffer.length} bytes of a cut frame`),
          );
        }
      },
    });
  }
}

/** A line of container output. */
export interface LogLine {
  /** Where it was written. */
  stream: LogStreamName;
  /** The line, without its newline. */
  text: string;
}

/**
 * Turns demultiplexed chunks into whole lines, keeping stdout and stderr apart
 * so that a line cut across frames is joined with its own stream only.
 */
export class LogLineStream extends TransformStream<LogChunk, LogLine> {
  #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  #rest: Record<LogStreamName, string> = { stdout: "", stderr: "" };

  constructor() {
    super({
      transform: (chunk, controller) => {
        const text = this.#decoders[chunk.stream].decode(chunk.data, { stream: true });
        const parts = (this.#rest[chunk.stream] + text).split("\n");
        this.#rest[chunk.stream] = parts.pop() ?? "";
        for (const line of parts) controller.enqueue({ stream: chunk.stream, text: stripCr(line) });
      },
      flush: (controller) => {
        for (const stream of ["stdout", "stderr"] as const) {
          const rest = this.#rest[stream] + this.#decoders[stream].decode();
          if (rest) controller.enqueue({ stream, text: stripCr(rest) });
        }
      },
    });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
