/**
 * `faaso completions bash|zsh|fish`: a shell completion script, made from the
 * program's own commands and options, so it never lags behind them.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";

/** What the scripts complete: every command, its options, and what its arguments are. */
export interface CompletionSpec {
  /** Commands in help order, with their subcommands (secret add...). */
  commands: CommandSpec[];
  /** Options of the program itself. */
  options: OptionSpec[];
  /** Values for `new -r`. */
  runtimes: string[];
}

/** One command, as completion sees it. */
export interface CommandSpec {
  name: string;
  summary: string;
  options: OptionSpec[];
  /** What its arguments are: any folder (build, export), a funko (folders with a funko.yml), words, nothing. */
  argument: "folders" | "funkos" | "words" | "none";
  /** The words, for `words` (completions: the shells). */
  words: string[];
  subcommands: CommandSpec[];
}

/** One option. */
export interface OptionSpec {
  /** `--no-cache`, `-q`: every spelling. */
  flags: string[];
  description: string;
  /** It takes a value (`--timeout <seconds>`). */
  takesValue: boolean;
}

const SHELLS = ["bash", "zsh", "fish"] as const;

/** Adds `completions` to the program. */
export function completionsCommand(program: Command, ctx: CliContext): void {
  program.command("completions")
    .summary("print a shell completion script (bash, zsh, fish)")
    .description(
      "Print the completion script for SHELL: commands, subcommands, options, runtimes after -r and folders " +
        "where a folder is expected. Load it from your shell's start-up file.",
    )
    .argument("<shell>", SHELLS.join(", "))
    .addHelpText(
      "after",
      "\nExamples:\n  echo 'source <(faaso completions bash)' >> ~/.bashrc\n" +
        "  echo 'source <(faaso completions zsh)' >> ~/.zshrc\n" +
        "  faaso completions fish > ~/.config/fish/completions/faaso.fish\n",
    )
    .action(async (shell) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw new FaasoError(`Cannot complete for ${shell}: the shells are ${SHELLS.join(", ")}`);
      }
      const runtimes = (await (await import("../../core/runtime.ts")).listRuntimes()).map((r) => r.name);
      const spec = completionSpec(program, [...runtimes, "list"]);
      const scripts = await import("./completion_scripts.ts");
      ctx.output.stdout.write(
        shell === "fish"
          ? scripts.fishScript(spec)
          : shell === "zsh"
          ? scripts.zshScript(spec)
          : scripts.bashScript(spec),
      );
    });
}

/** The program's commands and options, as the completion scripts need them. */
export function completionSpec(program: Command, runtimes: string[]): CompletionSpec {
  // The extra-typings wrapper types each command apart; as plain commander objects they are all alike.
  const root = program as unknown as PlainCommand;
  return {
    commands: root.commands.map(commandSpec),
    options: [...root.options.map(optionSpec), help()],
    runtimes,
  };
}

interface PlainOption {
  long?: string;
  short?: string;
  description: string;
  required: boolean;
  optional: boolean;
}

interface PlainCommand {
  name(): string;
  summary(): string;
  options: readonly PlainOption[];
  commands: readonly PlainCommand[];
  registeredArguments: readonly { name(): string }[];
}

function commandSpec(command: PlainCommand): CommandSpec {
  const first = command.registeredArguments[0]?.name() ?? "";
  const argument = /folder|dest/.test(first)
    ? "folders"
    : first === "shell"
    ? "words"
    : /^(name|funko)$/.test(first) && command.name() !== "new"
    ? "funkos"
    : "none";
  return {
    name: command.name(),
    summary: command.summary(),
    options: [...command.options.map(optionSpec), help()],
    argument,
    words: argument === "words" ? [...SHELLS] : [],
    subcommands: command.commands.map(commandSpec),
  };
}

function optionSpec(option: PlainOption): OptionSpec {
  return {
    flags: [option.short, option.long].filter((flag): flag is string => flag !== undefined),
    description: option.description,
    takesValue: option.required || option.optional,
  };
}

function help(): OptionSpec {
  return { flags: ["-h", "--help"], description: "show help", takesValue: false };
}
