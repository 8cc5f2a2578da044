/**
 * The CLI in a pseudo-terminal, as a person runs it: `script` (util-linux)
 * gives the command a terminal, answers are typed once their prompt shows,
 * and the bytes it wrote are rendered by a real terminal emulator
 * (`@xterm/headless`, the engine of VS Code's terminal) into the screen a
 * person would read.
 *
 * @module
 */
import xterm from "@xterm/headless";
import { FAASO_ARGS } from "./helpers.ts";

/** Something to type when a prompt shows. */
export interface Answer {
  /** The prompt's text, as it appears in the output. */
  prompt: string;
  /** What to type, e.g. `"y\r"` (Enter is `\r`, as a keyboard sends it). */
  type: string;
}

/** Options for {@linkcode inTerminal}. */
export interface TerminalOptions {
  /** Working folder. */
  cwd?: string;
  /**
   * The environment, on top of a clean one: PATH, HOME, TMPDIR, DOCKER_HOST
   * (when set), TERM=xterm-256color, and no CI or NO_COLOR unless given here.
   */
  env?: Record<string, string>;
  /** Typed in order, each once its prompt has shown. */
  answers?: Answer[];
  /** The terminal's size. Default 100x40. */
  columns?: number;
  rows?: number;
  /** Killed after this long. Default 120 s. */
  timeoutMs?: number;
}

/** What a command did in the terminal. */
export interface TerminalRun {
  /** Its exit code. */
  code: number;
  /** Every byte it wrote, escape sequences included. */
  raw: string;
  /** The screen's lines at the end (scrollback included; lines wrapped at its width joined), trailing blanks removed. */
  screen: string[];
  /** The screen as one text, for messages. */
  text: string;
}

const PASSED_ENV = ["PATH", "HOME", "TMPDIR", "DOCKER_HOST", "DENO_DIR", "XDG_CONFIG_HOME", "FAASO_DATA"];

/** Runs `faaso ARGS` (as `deno task faaso` does) in a pseudo-terminal. */
export function faasoInTerminal(args: string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  return inTerminal([Deno.execPath(), ...FAASO_ARGS, ...args], options);
}

/** Runs `command` in a pseudo-terminal and renders what it showed. */
export async function inTerminal(command: string[], options: TerminalOptions = {}): Promise<TerminalRun> {
  const columns = options.columns ?? 100;
  const rows = options.rows ?? 40;
  const env: Record<string, string> = { TERM: "xterm-256color" };
  for (const name of PASSED_ENV) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  // `script` gives the command a terminal; stty sizes it, as a terminal window would be.
  const shell = `stty cols ${columns} rows ${rows}; exec ${command.map(quote).join(" ")}`;
  const child = new Deno.Command("script", {
    args: ["-qec", shell, "/dev/null"],
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  const stdin = child.stdin.getWriter();
  const answers = [...(options.answers ?? [])];
  const decoder = new TextDecoder();
  let raw = "";
  let seen = 0;
  const stderr = new Response(child.stderr).text();
  for await (const chunk of child.stdout) {
    raw += decoder.decode(chunk, { stream: true });
    while (answers.length > 0) {
      const at = raw.indexOf(answers[0]!.prompt, seen);
      if (at === -1) break;
      seen = at + answers[0]!.prompt.length;
      await stdin.write(new TextEncoder().encode(answers.shift()!.type));
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  await stdin.close().catch(() => {});
  const problems = await stderr;
  if (problems.trim()) raw += `\n[script's stderr: ${problems.trim()}]`;
  const screen = await render(raw, columns, rows);
  return { code: status.code, raw, screen, text: screen.join("\n") };
}

/** What a terminal of this size shows after `raw` was written to it. */
export async function render(raw: string, columns = 100, rows = 40): Promise<string[]> {
  const terminal = new xterm.Terminal({ cols: columns, rows, scrollback: 5000, allowProposedApi: true });
  try {
    await new Promise<void>((resolve) => terminal.write(raw, resolve));
    const buffer = terminal.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      const text = line?.translateToString(true) ?? "";
      // A line the terminal wrapped at its width continues the one above: one line, as printed.
      if (line?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    return lines;
  } finally {
    terminal.dispose();
  }
}

/** An escape sequence's remains shown as text: `[0m`, `[31m`, `[?25l`, `[2K`. */
// deno-lint-ignore no-control-regex
export const RAW_ESCAPE = /\x1b|\[\??\d+(;\d+)*[A-HJKSTfhlmsu]/;
/** A line of a JavaScript stack trace. */
export const STACK_LINE = /^\s+at .*(:\d+:\d+\)?|<anonymous>)$|Uncaught|error: Uncaught/;
/** A spinner frame of yocto-spinner. */
export const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
/** A colour (SGR) escape sequence. */
// deno-lint-ignore no-control-regex
export const COLOR_SEQUENCE = /\x1b\[[0-9;]*m/;

/** Problems a person would see on the screen: stack traces, escape sequences shown raw, a spinner left behind. */
export function screenProblems(run: TerminalRun): string[] {
  const problems: string[] = [];
  for (const line of run.screen) {
    if (STACK_LINE.test(line)) problems.push(`stack trace: ${line}`);
    if (RAW_ESCAPE.test(line)) problems.push(`raw escape sequence: ${JSON.stringify(line)}`);
    if (SPINNER_FRAME.test(line)) problems.push(`spinner left on the screen: ${line}`);
  }
  return problems;
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
