/**
 * `faaso rm NAME`: a funko's instances and images, after confirmation.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { type CliContext, readLine } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";
import { counted } from "../../core/words.ts";

/** Adds `rm` to the program. */
export function rmCommand(program: Command, ctx: CliContext): void {
  program.command("rm")
    .summary("remove a funko's instances, images and secrets")
    .description(
      "Stop and remove every instance of NAME, remove all its images (builds and build stages) and its secrets, " +
        "so that a new funko of the same name starts from nothing. Asks first unless --yes.",
    )
    .argument("<name>", "the funko (or its folder)")
    .option("-y, --yes", "do not ask for confirmation")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const name = await funkoArg(arg);
      const backend = await ctx.backend(options);
      if (!options.yes) {
        const [[funko], secrets] = await Promise.all([
          backend.status(name).catch((error) => {
            // Only secrets may be left of a funko: they are still worth the question.
            if (error instanceof FaasoError && error.status === 404) return [];
            throw error;
          }),
          backend.listSecrets(name),
        ]);
        const what = `${counted(funko?.instances.length ?? 0, "instance")}, ${
          counted(funko?.images.length ?? 0, "image")
        } and ${counted(secrets[name]?.length ?? 0, "secret")}`;
        ctx.output.stderr.write(`Remove ${name} from ${backend.where}: ${what}? [y/N] `);
        const answer = await readLine(ctx.stdin);
        if (answer === null) ctx.output.stderr.write("\n");
        if (!/^\s*y(es)?\s*$/i.test(answer ?? "")) {
          throw new FaasoError(`Did not remove ${name}: not confirmed (pass --yes to skip the question)`);
        }
      }
      const result = await ctx.output.task((progress) => backend.remove(name, progress));
      const secrets = result.secrets ?? [];
      ctx.output.print(
        `Removed ${name}: ${counted(result.instances.length, "instance")}, ${counted(result.images.length, "image")}, ${
          counted(secrets.length, "secret")
        }${secrets.length ? ` (from ${await backend.secretStore()})` : ""}`,
      );
    });
}
