/**
 * What every command gets: where to print, and the backend that does the work.
 *
 * @module
 */
import type { Backend } from "./backend.ts";
import type { Output } from "./output.ts";

/** Options every command that does work accepts. */
export interface WhereOptions {
  /** Do the work on this machine even when a server is configured. */
  local?: boolean;
}

/** A command's dependencies. */
export interface CliContext {
  /** Where to print. */
  output: Output;
  /** The backend for the options given: local, or the configured server. */
  backend(options: WhereOptions): Promise<Backend>;
  /** Standard input, for confirmations and secret values. */
  stdin: ReadableStream<Uint8Array>;
  /** Whether standard input is a terminal. */
  stdinIsTerminal: boolean;
  /** The exit code the run ends with; commands set it on partial failure. */
  exitCode: number;
}

/** Reads one line from standard input (null at end of input). */
export async function readLine(stdin: ReadableStream<Uint8Array>): Promise<string | null> {
  const reader = stdin.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return text || null;
      text += value;
    }
    return text.slice(0, text.indexOf("\n"));
  } finally {
    reader.releaseLock();
  }
}
