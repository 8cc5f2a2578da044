/**
 * `faaso version`.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { VERSION } from "../../core/version.ts";
import type { CliContext } from "../context.ts";

/** Adds `version` to the program. */
export function versionCommand(program: Command, ctx: CliContext): void {
  program.command("version")
    .summary("show FaaSO's and the Docker engine's versions")
    .description(
      "Print this faaso's version, the server's when a command would go to one, and the Docker engine's " +
        "(the one FaaSO works on). Exit code 1 when that cannot be asked.",
    )
    .option("--json", "print JSON")
    .option("-l, --local", "ask this machine's engine even when a server is configured")
    .action(async (options) => {
      const backend = await ctx.backend(options);
      const info = await backend.version().catch((error: Error) => ({ error: error.message }));
      if (options.json) {
        ctx.output.json({ client: VERSION, where: backend.where, ...info });
        return;
      }
      ctx.output.print(`faaso ${VERSION}`);
      if ("error" in info) {
        ctx.output.warn(`cannot ask ${backend.where}: ${info.error}`);
        ctx.exitCode = 1;
        return;
      }
      if (info.faaso !== VERSION) ctx.output.print(`server (${backend.where}): faaso ${info.faaso}`);
      ctx.output.print(`docker engine ${info.engine} (API ${info.api})`);
    });
}
