/**
 * `faaso rm NAME`: a funko's instances and images, after confirmation.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { type CliContext, readLine } from "../context.ts";
import { counted } from "../../core/words.ts";

/** Adds `rm` to the program. */
export function rmCommand(program: Command, ctx: CliContext): void {
  program.command("rm")
    .summary("remove a funko's instances and images")
    .description("Stop and remove every instance of NAME and remove all its images. Asks first unless --yes.")
    .argument("<name>", "the funko")
    .option("-y, --yes", "do not ask for confirmation")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (name, options) => {
      const backend = await ctx.backend(options);
      if (!options.yes) {
        const [funko] = await backend.status(name);
        const what = `${counted(funko?.instances.length ?? 0, "instance")} and ${
          counted(funko?.images.length ?? 0, "image")
        }`;
        ctx.output.stderr.write(`Remove ${name} from ${backend.where}: ${what}? [y/N] `);
        const answer = await readLine(ctx.stdin);
        if (answer === null) ctx.output.stderr.write("\n");
        if (!/^\s*y(es)?\s*$/i.test(answer ?? "")) {
          throw new FaasoError(`Did not remove ${name}: not confirmed (pass --yes to skip the question)`);
        }
      }
      const result = await ctx.output.task((progress) => backend.remove(name, progress));
      ctx.output.print(
        `Removed ${name}: ${counted(result.instances.length, "instance")}, ${counted(result.images.length, "image")}`,
      );
    });
}
