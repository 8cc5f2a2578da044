/**
 * `faaso logs NAME`: every instance's output, each line marked with its instance.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";

const PALETTE = ["cyan", "magenta", "green", "blue", "yellow"] as const;

/** Adds `logs` to the program. */
export function logsCommand(program: Command, ctx: CliContext): void {
  program.command("logs")
    .summary("show the output of a funko's instances")
    .description(
      "Print what every instance of NAME wrote to stdout and stderr, each line after its instance's name. " +
        "-f keeps following, new instances included, until Ctrl-C. The instances' colour codes reach a terminal; " +
        "a pipe or a file gets plain text.",
    )
    .argument("<name>", "the funko (or its folder)")
    .addHelpText("after", "\nExamples:\n  faaso logs hello --tail 20\n  faaso logs hello -f\n")
    .option("-f, --follow", "keep showing new output")
    .option("--tail <lines>", "only the last N lines of each instance")
    .option("-l, --local", "ask this machine's engine even when a server is configured")
    .action(async (arg, options) => {
      const name = await funkoArg(arg);
      if (options.tail !== undefined && !/^\d+$/.test(options.tail)) {
        throw new FaasoError(`--tail ${options.tail}: use a whole number of lines`);
      }
      const backend = await ctx.backend(options);
      const abort = new AbortController();
      const stop = () => abort.abort();
      Deno.addSignalListener("SIGINT", stop);
      try {
        const lines = await backend.logs(name, {
          follow: options.follow,
          tail: options.tail === undefined ? undefined : Number(options.tail),
          signal: abort.signal,
        });
        const colors = new Map<string, (text: string) => string>();
        const c = ctx.output.colors;
        // An instance's own colours (and other escape codes) reach a terminal; a pipe or a file gets plain text.
        const keepEscapes = ctx.output.stdout.isTerminal && !Deno.env.get("NO_COLOR");
        const strip = keepEscapes ? (text: string) => text : (await import("node:util")).stripVTControlCharacters;
        for await (const line of lines) {
          if (!colors.has(line.instance)) colors.set(line.instance, c[PALETTE[colors.size % PALETTE.length]!]);
          const text = strip(line.text);
          ctx.output.print(`${colors.get(line.instance)!(line.instance)} | ${text}`);
        }
      } catch (error) {
        if (!abort.signal.aborted) throw error;
      } finally {
        Deno.removeSignalListener("SIGINT", stop);
      }
    });
}
