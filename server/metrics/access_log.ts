/**
 * The access log of `faaso serve --access-log`: one line per request under
 * /funko/, as JSON (the default) or in the common log format. A line holds
 * the time, funko, instance, method, path, status, bytes, duration and
 * client address, and nothing else: no header (so no Authorization or Cookie
 * value), no body, and no query string, which often carries tokens.
 *
 * Lines are buffered and written at most every 200 ms (or per 64 KiB), so
 * that logging costs the proxy a string per request, not a write.
 *
 * @module
 */
import { FaasoError } from "../../core/errors.ts";

/** How lines are written. */
export type AccessLogFormat = "json" | "common";

/** One request, as the access log tells it. */
export interface AccessEntry {
  /** When the request arrived, in ms since the epoch. */
  time: number;
  /** The funko named in the path (as sent, even when there is no such funko). */
  funko: string;
  /** The instance that answered (`faaso-NAME-xxxxxx`); null when none did. */
  instance: string | null;
  /** The request method. */
  method: string;
  /** The path, without the query string. */
  path: string;
  /** The status sent (101 for a WebSocket, 499 when the client left first). */
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  /** From the request's arrival to the answer's last byte, in ms. */
  durationMs: number;
  /** The client's address. */
  client: string;
}

/** The line for an entry, without its line feed. */
export function formatAccessLine(entry: AccessEntry, format: AccessLogFormat): string {
  if (format === "json") {
    return JSON.stringify({
      time: new Date(entry.time).toISOString(),
      funko: entry.funko,
      instance: entry.instance,
      method: entry.method,
      path: entry.path,
      status: entry.status,
      bytes: entry.bytes,
      duration_ms: Math.round(entry.durationMs * 1000) / 1000,
      client: entry.client,
    });
  }
  // host ident authuser [date] "request" status bytes, then FaaSO's fields.
  return `${entry.client} - - [${clfDate(entry.time)}] "${clfText(entry.method)} ${clfText(entry.path)} HTTP/1.1" ` +
    `${entry.status} ${entry.bytes} funko=${clfText(entry.funko)} instance=${entry.instance ?? "-"} ` +
    `duration_ms=${entry.durationMs.toFixed(3)}`;
}

/** Quotes, backslashes, spaces and control characters as `\xHH`, so a line stays one line and splits on spaces. */
function clfText(text: string): string {
  // deno-lint-ignore no-control-regex -- control characters are exactly what must not reach the line
  return text.replace(/[\x00-\x20"\\\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `10/Oct/2000:13:55:36 +0000`. */
function clfDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Where lines go: standard error, or a file opened for appending. */
export interface AccessLogOptions {
  /** `-` for standard error, else a file path (created, appended to). */
  destination: string;
  /** Line format. Default JSON. */
  format?: AccessLogFormat;
  /** Told once when writing fails (the disk filled up): lines are then dropped. */
  onError?: (error: unknown) => void;
}

const FLUSH_MS = 200;
const FLUSH_BYTES = 64 * 1024;

/** A buffered access log. */
export class AccessLog {
  readonly format: AccessLogFormat;
  readonly #file: Deno.FsFile | typeof Deno.stderr;
  readonly #ownsFile: boolean;
  readonly #onError: (error: unknown) => void;
  readonly #encoder = new TextEncoder();
  #pending: string[] = [];
  #pendingLength = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #failed = false;

  private constructor(file: Deno.FsFile | typeof Deno.stderr, ownsFile: boolean, options: AccessLogOptions) {
    this.#file = file;
    this.#ownsFile = ownsFile;
    this.format = options.format ?? "json";
    this.#onError = options.onError ?? (() => {});
  }

  /** Opens the destination; a file that cannot be opened is an error now, not at the first request. */
  static async open(options: AccessLogOptions): Promise<AccessLog> {
    if (options.destination === "-") return new AccessLog(Deno.stderr, false, options);
    try {
      const file = await Deno.open(options.destination, { create: true, append: true, write: true });
      return new AccessLog(file, true, options);
    } catch (error) {
      throw new FaasoError(`Cannot open the access log ${options.destination}: ${(error as Error).message}`);
    }
  }

  /** Adds a request's line. */
  write(entry: AccessEntry): void {
    if (this.#failed) return;
    const line = formatAccessLine(entry, this.format);
    this.#pending.push(line);
    this.#pendingLength += line.length + 1;
    if (this.#pendingLength >= FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      Deno.unrefTimer(this.#timer as unknown as number);
    }
  }

  /** Writes what is buffered; resolves once it is written. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return this.#writing;
    const bytes = this.#encoder.encode(`${this.#pending.join("\n")}\n`);
    this.#pending = [];
    this.#pendingLength = 0;
    this.#writing = this.#writing.then(async () => {
      if (this.#failed) return;
      try {
        for (let written = 0; written < bytes.length;) written += await this.#file.write(bytes.subarray(written));
      } catch (error) {
        this.#failed = true;
        this.#onError(error);
      }
    });
    return this.#writing;
  }

  /** Writes what is buffered and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    if (this.#ownsFile) (this.#file as Deno.FsFile).close();
  }
}
