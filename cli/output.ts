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

/** The spinner factory and its stream, loaded only when progress goes to a terminal. */
interface SpinnerKit {
  spinner: typeof import("yocto-spinner").default;
  stream: (sink: TextSink) => Writable;
}

/** A place to write text to. */
export interface TextSink {
  /** Writes text as it is. */
  write(text: string): void;
  /** Writes bytes as they are (an HTTP answer's body), where the sink can. */
  writeBytes?(bytes: Uint8Array): void;
  /** Whether it is a terminal. */
  isTerminal: boolean;
  /** Its width in characters, when it is a terminal that says. */
  columns?(): number;
}

/** A text sink over a Deno file (stdout, stderr). */
export function fileSink(file: typeof Deno.stdout | typeof Deno.stderr): TextSink {
  const encoder = new TextEncoder();
  let closed = false;
  const isTerminal = file.isTerminal();
  const writeBytes = (bytes: Uint8Array) => {
    if (closed) return;
    try {
      for (let written = 0; written < bytes.length;) written += file.writeSync(bytes.subarray(written));
    } catch (error) {
      // The reader went away (faaso status | head): nothing more to say to it.
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      closed = true;
    }
  };
  return {
    write: (text) => writeBytes(encoder.encode(text)),
    writeBytes,
    isTerminal,
    columns: () => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 0;
      }
    },
  };
}

/** How the terminal the CLI prints to may be used. */
export interface TerminalStyle {
  /** Colours (off when piped, with NO_COLOR, or on TERM=dumb). */
  colors: boolean;
  /** A spinner that redraws its line (only on a terminal that can move the cursor, and not under CI). */
  spinner: boolean;
}

/**
 * What a stderr may do, from whether it is a terminal and the environment:
 * NO_COLOR turns colours off; TERM=dumb cannot move the cursor or colour;
 * CI (set by every CI service) keeps logs free of redrawn lines.
 */
export function terminalStyle(isTerminal: boolean, env: { get(name: string): string | undefined }): TerminalStyle {
  const dumb = env.get("TERM") === "dumb";
  return {
    colors: isTerminal && !dumb && !env.get("NO_COLOR"),
    spinner: isTerminal && !dumb && env.get("CI") === undefined,
  };
}

/** Where and how the CLI prints. */
export class Output {
  /** Results. */
  readonly stdout: TextSink;
  /** Progress, warnings and errors. */
  readonly stderr: TextSink;
  #colors: Colors;
  #useSpinner: boolean;
  #spinner: SpinnerKit | undefined;

  /**
   * `spinner`: show progress as a spinner on stderr (default: when stderr is
   * a terminal). Give false for a terminal that cannot move its cursor.
   */
  constructor(stdout: TextSink, stderr: TextSink, colors: Colors = NO_COLORS, spinner = stderr.isTerminal) {
    this.stdout = stdout;
    this.stderr = stderr;
    this.#colors = colors;
    this.#useSpinner = spinner;
  }

  /**
   * The process's own stdout and stderr, styled as {@linkcode terminalStyle}
   * says. The colour package loads only when colours are on.
   */
  static async console(): Promise<Output> {
    const stderr = fileSink(Deno.stderr);
    const style = terminalStyle(stderr.isTerminal, Deno.env);
    const colors = style.colors ? (await import("picocolors")).default.createColors(true) : NO_COLORS;
    return new Output(fileSink(Deno.stdout), stderr, colors, style.spinner);
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

  /** Prints a note on stderr: what a command acts on, hints. */
  note(text: string): void {
    this.stderr.write(`${this.#colors.dim(text)}\n`);
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
    if (this.#useSpinner) {
      this.#spinner ??= await Promise.all([import("yocto-spinner"), import("./terminal_stream.ts")]).then((
        [spinner, stream],
      ) => ({ spinner: spinner.default, stream: (sink) => new stream.TerminalStream(sink) as unknown as Writable }));
    }
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
      const kit = this.#useSpinner ? this.#spinner : undefined;
      if (!kit) {
        if (event.kind === "output" && quiet) return;
        const prefix = event.kind === "step" ? "==> " : event.kind === "warning" ? `${c.yellow("Warning:")} ` : "    ";
        sink.write(`${prefix}${event.text}\n`);
        return;
      }
      // The spinner stops itself on Ctrl-C (exit 130), else the cursor would stay hidden.
      spinner ??= kit.spinner({ text: "", stream: kit.stream(sink) }).start();
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
