/**
 * What every command gets: where to print, and the backend that does the work.
 *
 * @module
 */
import { FaasoError } from "../core/errors.ts";
import type { Docker } from "../docker/mod.ts";
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
  /**
   * The backend for the options given: local, or the configured server. A
   * local backend's engine client is given to `prefetch` first, to ask the
   * engine what the command will need while its modules load.
   */
  backend(options: WhereOptions, prefetch?: (docker: Docker) => void): Promise<Backend>;
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

/**
 * Asks for a value on the terminal without echoing it (passwords, secrets).
 * Ctrl-C cancels.
 */
export async function readHidden(prompt: string, ctx: CliContext): Promise<string> {
  // Echo goes off before the prompt shows: what is typed as soon as it shows stays hidden.
  Deno.stdin.setRaw(true);
  ctx.output.stderr.write(prompt);
  try {
    const bytes: number[] = [];
    const buffer = new Uint8Array(1);
    while (true) {
      const read = await Deno.stdin.read(buffer);
      const char = buffer[0];
      if (read === null || char === 13 || char === 10) break;
      if (char === 3) throw new FaasoError("Cancelled");
      if (char === 127 || char === 8) bytes.pop();
      else bytes.push(char!);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  } finally {
    Deno.stdin.setRaw(false);
    ctx.output.stderr.write("\n");
  }
}

/**
 * A password: asked without echo on a terminal, else the first line of
 * standard input (its line ending dropped, nothing else: spaces count).
 */
export async function readPassword(prompt: string, ctx: CliContext): Promise<string | undefined> {
  if (ctx.stdinIsTerminal) return await readHidden(prompt, ctx);
  return (await readLine(ctx.stdin))?.replace(/\r$/, "");
}

/** Reads standard input to its end, as bytes. */
export async function readAll(stdin: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stdin).arrayBuffer());
}
