/**
 * What the CLI prints: results on stdout, progress and errors on stderr. On a
 * terminal progress is a spinner with colours; piped, it is plain lines.
 *
 * @module
 */
import type { Writable } from "node:stream";
import type { Spinner } from "yocto-spinner";
import type { Progress } from "../core/progress.ts";

/** The colours the CLI uses; each returns its text unchanged when colour is off. */
export interface Colors {
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  blue(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const plain = (text: string) => text;

/** Colours off. */
export const NO_COLORS: Colors = {
  red: plain,
  yellow: plain,
  green: plain,
  blue: plain,
  cyan: plain,
  magenta: plain,
  dim: plain,
  bold: plain,
};

/** The spinner factory, loaded only when progress goes to a terminal. */
type SpinnerFactory = typeof import("yocto-spinner").default;

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
  #colors: Colors;
  #spinner: SpinnerFactory | undefined;

  constructor(stdout: TextSink, stderr: TextSink, colors: Colors = NO_COLORS) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.#colors = colors;
  }

  /**
   * The process's own stdout and stderr, in colour on a terminal unless
   * NO_COLOR is set. The colour package loads only then.
   */
  static async console(): Promise<Output> {
    const stderr = fileSink(Deno.stderr);
    const useColor = stderr.isTerminal && !Deno.env.get("NO_COLOR");
    const colors = useColor ? (await import("picocolors")).default.createColors(true) : NO_COLORS;
    return new Output(fileSink(Deno.stdout), stderr, colors);
  }

  /** Colour helpers that are no-ops when colour is off. */
  get colors(): Colors {
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
    if (this.stderr.isTerminal) this.#spinner ??= (await import("yocto-spinner")).default;
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
      const spinnerFactory = this.#spinner;
      if (!sink.isTerminal || !spinnerFactory) {
        if (event.kind === "output" && quiet) return;
        const prefix = event.kind === "step" ? "==> " : event.kind === "warning" ? "Warning: " : "    ";
        sink.write(`${prefix}${event.text}\n`);
        return;
      }
      spinner ??= spinnerFactory({ text: "", stream: terminalStream(sink), handleSignals: false }).start();
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
