/**
 * `faaso prune [NAME]`: builds beyond the newest N, and untagged build stages, removed.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { counted } from "../../core/words.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";

/** Adds `prune` to the program. */
export function pruneCommand(program: Command, ctx: CliContext): void {
  program.command("prune")
    .summary("remove old builds of funkos, keeping the newest few")
    .description(
      "Keep the newest N builds of each funko (or only of NAME) and remove the others with their build stages; " +
        "the build latest names and every build an instance runs stay whatever their age. Also removes build " +
        "stages and builds FaaSO left untagged. Only FaaSO's own images and tags are touched. Every build prunes " +
        "its funko the same way. N is --keep, else FAASO_KEEP_BUILDS, else keep_builds in the data folder's " +
        "config.yml (the server's, in remote mode), else 5.",
    )
    .argument("[name]", "only this funko (or its folder)")
    .option("--keep <count>", "how many builds of each funko to keep")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const name = arg === undefined ? undefined : await funkoArg(arg);
      if (options.keep !== undefined && !(/^\d+$/.test(options.keep) && Number(options.keep) >= 1)) {
        throw new FaasoError(`--keep ${options.keep}: use a whole number, at least 1`);
      }
      const keep = options.keep === undefined ? undefined : Number(options.keep);
      const backend = await ctx.backend(options);
      const results = await ctx.output.task((progress) => backend.prune(name, keep, progress));
      if (results.length === 0) ctx.output.print("No funko has images");
      for (const result of results) {
        if (result.builds.length === 0 && result.stages.length === 0) {
          ctx.output.print(`${result.funko}: nothing to remove (${counted(result.kept, "build")} kept)`);
          continue;
        }
        const builds = result.builds.length ? ` (${result.builds.join(", ")})` : "";
        ctx.output.print(
          `${result.funko}: removed ${counted(result.builds.length, "build")}${builds} and ` +
            `${counted(result.stages.length, "build stage")}; ${counted(result.kept, "build")} kept`,
        );
      }
    });
}
