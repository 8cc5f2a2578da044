/**
 * `faaso up`, `down` and `scale`.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { ScaleResult, StartOptions } from "../../core/scale.ts";
import { funkoUrlLine } from "../urls.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";
import { deployTimeout } from "./deploy.ts";
import type { Output } from "../output.ts";
import { counted } from "../../core/words.ts";

/** Adds `up`, `down` and `scale` to the program. */
export function scaleCommands(program: Command, ctx: CliContext): void {
  program.command("up")
    .summary("make sure a funko has running instances")
    .description(
      "When no instance of NAME runs, start its default scale (funko.yml scale, 1) from faaso-NAME:latest; " +
        "when some run, leave them as they are. Instances are containers faaso-NAME-xxxxxx on faaso-net. New " +
        "instances are waited for until healthy; if one crashes or turns unhealthy, they are removed again and " +
        "its last lines are shown (exit 1).",
    )
    .argument("<name>", "the funko (or its folder)")
    .option("--timeout <seconds>", "how long new instances get to become healthy", "120")
    .option("--no-wait", "do not wait for new instances to become healthy")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const name = await funkoArg(arg);
      const start = startOptions(options);
      const backend = await ctx.backend(options);
      report(ctx.output, await ctx.output.task((progress) => backend.up(name, progress, start)));
      ctx.output.print(funkoUrlLine(backend, name));
    });

  program.command("down")
    .summary("stop and remove every instance of a funko")
    .description(
      "Take every instance of NAME out of service (they finish their requests first, up to funko.yml drain), " +
        "stop and remove them. The images stay: faaso up starts it again.",
    )
    .argument("<name>", "the funko (or its folder)")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const name = await funkoArg(arg);
      const backend = await ctx.backend(options);
      report(ctx.output, await ctx.output.task((progress) => backend.down(name, progress)));
    });

  program.command("scale")
    .summary("show or set how many instances of a funko run")
    .description(
      "Without COUNT, print how many instances of NAME run. With COUNT, start or remove instances until " +
        "that many run (0 to 100); removed ones finish their requests first, new ones are waited for as with up.",
    )
    .argument("<name>", "the funko (or its folder)")
    .argument("[count]", "the number of instances to run (optional: without it, print the number)")
    .option("--timeout <seconds>", "how long new instances get to become healthy", "120")
    .option("--no-wait", "do not wait for new instances to become healthy")
    .addHelpText("after", "\nExamples:\n  faaso scale hello\n  faaso scale hello 3\n")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, count, options) => {
      const name = await funkoArg(arg);
      const start = startOptions(options);
      const backend = await ctx.backend(options);
      if (count === undefined) {
        ctx.output.print(String(await backend.currentScale(name)));
        return;
      }
      if (!/^\d+$/.test(count)) {
        throw new FaasoError(`Cannot scale ${name} to ${count}: use a whole number from 0 to 100`);
      }
      report(ctx.output, await ctx.output.task((progress) => backend.scale(name, Number(count), progress, start)));
    });
}

/** `--timeout` and `--no-wait` as start options. */
function startOptions(options: { timeout: string; wait: boolean }): StartOptions {
  return { timeoutMs: deployTimeout(options.timeout) * 1000, wait: options.wait };
}

function report(output: Output, result: ScaleResult): void {
  const change = result.before === result.after ? "" : ` (was ${result.before})`;
  output.print(`${result.funko}: ${counted(result.after, "instance")} running${change}`);
}
