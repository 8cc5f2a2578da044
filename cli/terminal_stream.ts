/**
 * A terminal stream for yocto-spinner over the CLI's text sink. Loaded only
 * when a spinner runs.
 *
 * @module
 */
import * as readline from "node:readline";
import type { Writable } from "node:stream";
import type { TextSink } from "./output.ts";

/**
 * A terminal's side of Node's `tty.WriteStream`, over a text sink: what
 * yocto-spinner calls to redraw its line (`write`, `cursorTo`, `moveCursor`,
 * `clearLine`, `columns`). The escape sequences come from `node:readline`,
 * as a real `tty.WriteStream`'s do.
 */
export class TerminalStream {
  /** Always a terminal: the spinner runs only on one. */
  readonly isTTY = true;
  #sink: TextSink;

  constructor(sink: TextSink) {
    this.#sink = sink;
  }

  /** The terminal's width (0 when unknown: the spinner then assumes 80). */
  get columns(): number {
    return this.#sink.columns?.() ?? 0;
  }

  /** Writes text; `callback` runs once it is written. */
  write(text: string | Uint8Array, encoding?: unknown, callback?: () => void): boolean {
    this.#sink.write(typeof text === "string" ? text : new TextDecoder().decode(text));
    const done = typeof encoding === "function" ? encoding : callback;
    (done as (() => void) | undefined)?.();
    return true;
  }

  /** Moves the cursor to column `x` (and row `y`) of the screen. */
  cursorTo(x: number, y?: number, callback?: () => void): boolean {
    return readline.cursorTo(this as unknown as Writable, x, y, callback);
  }

  /** Moves the cursor relative to where it is. */
  moveCursor(dx: number, dy: number, callback?: () => void): boolean {
    return readline.moveCursor(this as unknown as Writable, dx, dy, callback);
  }

  /** Clears the current line: left of the cursor (-1), right of it (1) or all (0). */
  clearLine(direction: -1 | 0 | 1, callback?: () => void): boolean {
    return readline.clearLine(this as unknown as Writable, direction, callback);
  }
}
