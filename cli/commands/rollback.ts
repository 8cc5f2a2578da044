/**
 * `faaso rollback NAME [TAG]`: an earlier build deployed with zero downtime.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { counted } from "../../core/words.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";
import { deployTimeout } from "./deploy.ts";

/** Adds `rollback` to the program. */
export function rollbackCommand(program: Command, ctx: CliContext): void {
  program.command("rollback")
    .summary("deploy an earlier build of a funko, with zero downtime")
    .description(
      "Point faaso-NAME:latest at an earlier build (TAG: its timestamp tag as faaso status NAME lists it, or its " +
        "image ID; default: the build before the current one) and deploy it as faaso deploy does. If the new " +
        "instances do not become healthy, latest goes back where it was, the running instances keep serving, and " +
        "the exit code is 1. Run it again to go further back.",
    )
    .argument("<name>", "the funko (or its folder)")
    .argument("[tag]", "the build to deploy (default: the one before latest)")
    .option("--timeout <seconds>", "how long new instances get to become healthy", "120")
    .option("--force", "replace instances even when they already run that build")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, tag, options) => {
      const name = await funkoArg(arg);
      const timeoutMs = deployTimeout(options.timeout) * 1000;
      const backend = await ctx.backend(options);
      const result = await ctx.output.task((progress) =>
        backend.rollback(name, { tag, timeoutMs, force: options.force }, progress)
      );
      const build = result.tag;
      const was = result.previous && result.previous !== result.tag ? ` (latest was ${result.previous})` : "";
      if (result.started.length === 0) {
        ctx.output.print(`${name}: every instance already runs ${build}${was}`);
        return;
      }
      ctx.output.print(
        `Rolled ${name} back to ${build}${was}: ${counted(result.started.length, "new instance")}, ` +
          `${counted(result.removed.length, "old one")} drained and removed`,
      );
    });
}
