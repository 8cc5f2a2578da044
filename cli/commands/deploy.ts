/**
 * `faaso deploy NAME`: every instance onto the newest image, no request lost.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { DeployResult } from "../../core/deploy.ts";
import { FaasoError } from "../../core/errors.ts";
import type { Backend } from "../backend.ts";
import { funkoUrlLine } from "../urls.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";
import type { Output } from "../output.ts";
import { counted } from "../../core/words.ts";

/** Options `deploy` and `build --deploy` share. */
export interface DeployFlags {
  /** Seconds new instances get to become healthy. */
  timeout: string;
  /** Replace instances already on the newest image. */
  force?: boolean;
}

/** Adds `deploy` to the program. */
export function deployCommand(program: Command, ctx: CliContext): void {
  program.command("deploy")
    .summary("roll a funko's instances onto its newest image, with zero downtime")
    .description(
      "Start new instances of faaso-NAME:latest beside the old ones, wait until they are healthy, move the " +
        "traffic to them, let the old ones finish their requests (funko.yml drain) and remove them. If the new " +
        "instances do not become healthy, they are removed, the old ones keep serving, and the exit code is 1.",
    )
    .argument("<name>", "the funko (or its folder)")
    .option("--timeout <seconds>", "how long new instances get to become healthy", "120")
    .option("--force", "replace instances even when they already run the newest image")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const name = await funkoArg(arg);
      const backend = await ctx.backend(options);
      await runDeploy(ctx, backend, name, options);
    });
}

/** Deploys and prints the outcome. */
export async function runDeploy(
  ctx: CliContext,
  backend: Backend,
  name: string,
  flags: DeployFlags,
): Promise<DeployResult> {
  const seconds = deployTimeout(flags.timeout);
  const result = await ctx.output.task((progress) =>
    backend.deploy(name, { timeoutMs: seconds * 1000, force: flags.force }, progress)
  );
  report(ctx.output, result);
  ctx.output.print(funkoUrlLine(backend, result.funko));
  return result;
}

/** Reads `--timeout`: seconds, more than 0 and at most an hour (what a server accepts too). */
export function deployTimeout(text: string): number {
  const seconds = Number(text);
  if (!(seconds > 0 && seconds <= 3600)) {
    throw new FaasoError(`--timeout ${text}: use a number of seconds, at most 3600`);
  }
  return seconds;
}

function report(output: Output, result: DeployResult): void {
  if (result.started.length === 0) {
    output.print(`${result.funko}: every instance already runs the newest image (--force to replace them anyway)`);
    return;
  }
  const image = result.tag ? `${result.tag} (${result.image.slice(7, 19)})` : result.image.slice(7, 19);
  output.print(
    `Deployed ${result.funko}: ${counted(result.started.length, "new instance")} of ${image}, ` +
      `${counted(result.removed.length, "old one")} drained and removed`,
  );
}
