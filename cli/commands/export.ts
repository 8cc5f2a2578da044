/**
 * `faaso export FOLDER [DEST]`: a standalone folder plain Docker can build.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { exportTag } from "../../core/names.ts";
import type { CliContext } from "../context.ts";

/** Adds `export` to the program. */
export function exportCommand(program: Command, ctx: CliContext): void {
  program.command("export")
    .summary("write a funko as a folder that plain docker can build")
    .description(
      "Write the funko in FOLDER, its runtime merged in and templates rendered, to DEST (default " +
        "NAME-export): a plain Dockerfile and a compose.yaml. `docker build -t NAME-export DEST` and " +
        "`docker compose up` work there without FaaSO. An image funko's export is a compose.yaml that runs " +
        "its image. DEST must not exist or be empty. Tag what you build there anything but faaso-NAME: that " +
        "repository is FaaSO's, and faaso-NAME:latest is what faaso up runs.",
    )
    .argument("<folder>", "the funko folder")
    .argument("[dest]", "the folder to write")
    .option("-l, --local", "accepted for symmetry: export always works on this machine")
    .action(async (folder, dest) => {
      const result = await (await import("../../core/export.ts")).exportFunko(folder, dest);
      ctx.output.print(`Exported ${result.funko} to ${result.dest} (${result.files.length} files)`);
      if (result.files.includes("Dockerfile")) {
        ctx.output.print(`Build it with: docker build -t ${exportTag(result.funko)} ${result.dest}`);
      } else {
        ctx.output.print(`Run it with: docker compose -f ${result.dest}/compose.yaml up`);
      }
    });
}
