/**
 * `faaso build FOLDER...`: funko folders become images.
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { BuildResult } from "../../core/build.ts";
import type { CliContext } from "../context.ts";
import { deployTimeout, runDeploy } from "./deploy.ts";

/** Adds `build` to the program. */
export function buildCommand(program: Command, ctx: CliContext): void {
  program.command("build")
    .summary("build funko folders into images")
    .description(
      "Build each funko FOLDER into the image faaso-NAME, tagged with its UTC build time and, once the " +
        "build succeeded, latest. A failed build leaves latest where it was.",
    )
    .argument("<folders...>", "funko folders (each with a funko.yml)")
    .addHelpText(
      "after",
      "\nExamples:\n  faaso build hello\n  cd hello && faaso build .\n  faaso build hello --deploy\n",
    )
    .option("--no-cache", "do not use Docker's layer cache")
    .addOption(
      new Option("--build-arg <KEY=VALUE>", "a Docker build argument (repeatable)")
        .argParser((value, previous: Record<string, string> = {}) => ({ ...previous, ...parseBuildArg(value) })),
    )
    .option("--name <name>", "build under this name instead of funko.yml's")
    .option("--no-runtime", "build the folder as it is, with its own Dockerfile")
    .option("-q, --quiet", "do not show the engine's build output")
    .option("--deploy", "then deploy each funko built (see faaso deploy)")
    .option("--timeout <seconds>", "with --deploy: how long new instances get to become healthy", "120")
    .option("--json", "print the results as JSON")
    .option("-l, --local", "build on this machine even when a server is configured")
    .action(async (folders, options) => {
      if (options.name && folders.length > 1) {
        throw new FaasoError("Cannot use --name with several folders: each would get the same name");
      }
      if (options.deploy) deployTimeout(options.timeout);
      const backend = await ctx.backend(options);
      const results: BuildResult[] = [];
      for (const folder of folders) {
        const result = await ctx.output.task((progress) =>
          backend.build(folder, {
            noCache: !options.cache,
            buildArgs: options.buildArg,
            name: options.name,
            noRuntime: !options.runtime,
          }, progress), options.quiet);
        results.push(result);
        if (!options.json) ctx.output.print(`Built ${result.tags.join(" and ")} (${result.imageId.slice(7, 19)})`);
        if (!options.json && result.pushed) ctx.output.print(`Pushed ${result.pushed}`);
        if (options.deploy) await runDeploy(ctx, backend, result.funko, { timeout: options.timeout });
      }
      if (options.json) ctx.output.json(results);
    });
}

/** Parses `KEY=VALUE`; the value may be empty and may contain `=`. */
export function parseBuildArg(text: string): Record<string, string> {
  const at = text.indexOf("=");
  if (at <= 0) throw new FaasoError(`--build-arg ${text}: use KEY=VALUE`);
  return { [text.slice(0, at)]: text.slice(at + 1) };
}
