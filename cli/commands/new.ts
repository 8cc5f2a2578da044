/**
 * `faaso new -r RUNTIME NAME`: a funko folder from a runtime's template;
 * `faaso new -r list`: the runtimes.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";

/** Adds `new` to the program. */
export function newCommand(program: Command, ctx: CliContext): void {
  program.command("new")
    .summary("create a funko folder from a runtime's template")
    .description(
      "Create the folder NAME, in the current folder, holding a new funko of the given runtime (deno unless " +
        "-r says otherwise): funko.yml and the code to edit. RUNTIME is a runtime's name or the path of a " +
        "runtime folder. `-r list` shows the runtimes.",
    )
    .addHelpText("after", "\nExamples:\n  faaso new hello\n  faaso new -r python greeter\n  faaso new -r list\n")
    .option("-r, --runtime <runtime>", "runtime name or folder, or `list`", "deno")
    .argument("[name]", "folder to create; its name is the funko's name")
    .option("-l, --local", "accepted for symmetry: new always works on this machine")
    .action(async (name, options) => {
      if (options.runtime === "list") {
        const runtimes = await (await import("../../core/runtime.ts")).listRuntimes();
        const width = Math.max(...runtimes.map((r) => r.name.length));
        for (const runtime of runtimes) {
          // Titles start with the runtime's own name ("deno: Hono on Deno 2"): say it once.
          const title = runtime.title.replace(new RegExp(`^${runtime.name}:\\s*`), "");
          ctx.output.print(`${runtime.name.padEnd(width)}  ${title}`);
        }
        return;
      }
      if (!name) throw new FaasoError("Cannot create a funko: give its name, as in faaso new -r deno hello");
      const created = await (await import("../../core/new_funko.ts")).newFunko(options.runtime, name);
      ctx.output.print(`Created ${name}/ (runtime ${options.runtime}): ${created.files.join(", ")}`);
      ctx.output.print(`Next: edit it, then faaso build ${name} && faaso up ${created.name}`);
    });
}
