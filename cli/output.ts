/**
 * What the CLI prints: results on stdout, progress and errors on stderr. On a
 * terminal progress is a spinner with colours; piped, it is plain lines.
 *
 * @module
 */
import type { Writable } from "node:stream";
import pc from "picocolors";
import yoctoSpinner, { type Spinner } from "yocto-spinner";
import type { Progress } from "../core/progress.ts";

/** A place to write text to. */
export interface TextSink {
  /** Writes text as it is. */
  write(text: string): void;
  /** Whether it is a terminal. */
  isTerminal: boolean;
}

/** A text sink over a Deno file (stdout, stderr). */
export function fileSink(file: typeof Deno.stdout | typeof Deno.stderr): TextSink {
  const encoder = new TextEncoder();
  let closed = false;
  return {
    write: (text) => {
      if (closed) return;
      const bytes = encoder.encode(text);
      try {
        for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
      } catch (error) {
        // The reader went away (faaso status | head): nothing more to say to it.
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
        closed = true;
      }
    },
    isTerminal: file.isTerminal(),
  };
}

/** Where and how the CLI prints. */
export class Output {
  /** Results. */
  readonly stdout: TextSink;
  /** Progress, warnings and errors. */
  readonly stderr: TextSink;
  #colors: ReturnType<typeof pc.createColors>;

  constructor(stdout: TextSink, stderr: TextSink, useColor = stderr.isTerminal && !Deno.env.get("NO_COLOR")) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.#colors = pc.createColors(useColor);
  }

  /** The process's own stdout and stderr. */
  static console(): Output {
    return new Output(fileSink(Deno.stdout), fileSink(Deno.stderr));
  }

  /** Colour helpers that are no-ops when colour is off. */
  get colors(): ReturnType<typeof pc.createColors> {
    return this.#colors;
  }

  /** Prints a result line on stdout. */
  print(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  /** Prints a value as pretty JSON on stdout. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints a warning on stderr. */
  warn(text: string): void {
    this.stderr.write(`${this.#colors.yellow("Warning:")} ${text}\n`);
  }

  /** Prints an error on stderr, with optional detail lines. */
  error(text: string, details: string[] = []): void {
    this.stderr.write(`${this.#colors.red("Error:")} ${text}\n`);
    for (const line of details) this.stderr.write(`  ${line}\n`);
  }

  /** Runs `work` while showing its progress; the spinner is cleared however it ends. */
  async task<T>(work: (progress: Progress) => Promise<T>, quiet = false): Promise<T> {
    const progress = this.progress(quiet);
    try {
      return await work(progress);
    } finally {
      progress.done();
    }
  }

  /**
   * Starts showing a long operation's progress. Call `done()` on the result
   * when it ends (success or not) to clear the spinner.
   */
  progress(quiet = false): Progress & { done(): void } {
    const sink = this.stderr;
    const c = this.#colors;
    let spinner: Spinner | undefined;
    const report = ((event) => {
      if (!sink.isTerminal) {
        if (event.kind === "output" && quiet) return;
        const prefix = event.kind === "step" ? "==> " : event.kind === "warning" ? "Warning: " : "    ";
        sink.write(`${prefix}${event.text}\n`);
        return;
      }
      spinner ??= yoctoSpinner({ text: "", stream: terminalStream(sink), handleSignals: false }).start();
      if (event.kind === "step") {
        spinner.text = event.text;
      } else if (!quiet || event.kind === "warning") {
        spinner.clear();
        sink.write(event.kind === "warning" ? `${c.yellow("Warning:")} ${event.text}\n` : `${c.dim(event.text)}\n`);
        spinner.start();
      }
    }) as Progress & { done(): void };
    report.done = () => {
      spinner?.stop();
      spinner = undefined;
    };
    return report;
  }
}

/** The smallest writable stream yocto-spinner needs, over a terminal sink. */
function terminalStream(sink: TextSink): Writable {
  const stream = {
    isTTY: true,
    columns: Deno.consoleSize().columns,
    write: (text: string) => {
      sink.write(text);
      return true;
    },
  };
  return stream as unknown as Writable;
}
