/**
 * `faaso sleep` and `faaso wake`: put a funko to sleep by hand, or wake it.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { CliContext } from "../context.ts";

/** Adds `sleep` and `wake` to the program. */
export function sleepCommands(program: Command, ctx: CliContext): void {
  program.command("sleep")
    .summary("pause a funko's instances (or stop them with --stop)")
    .description(
      "Take NAME out of traffic and pause its instances (docker pause: no CPU, memory kept; a wake takes " +
        "milliseconds), or with --stop stop them (memory freed; its newest instance is kept stopped and the others " +
        "removed; a wake starts it in about 0.3 s). The first request through faaso serve wakes it, as does faaso " +
        "wake. Without a server, nothing else wakes it.",
    )
    .argument("<name>", "the funko")
    .option("--stop", "stop the instances instead of pausing them")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (name, options) => {
      const backend = await ctx.backend(options);
      const result = await ctx.output.task((progress) => backend.sleep(name, { stop: options.stop }, progress));
      ctx.output.print((await import("../../core/sleep.ts")).sleepResultText(result));
    });

  program.command("wake")
    .summary("wake a sleeping funko")
    .description(
      "Thaw NAME's paused instances, or start its stopped one (or create one when none is left), and wait until " +
        "it answers its health check. A sleeping funko also wakes by itself on its first request through faaso serve.",
    )
    .argument("<name>", "the funko")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (name, options) => {
      const backend = await ctx.backend(options);
      const result = await ctx.output.task((progress) => backend.wake(name, progress));
      ctx.output.print((await import("../../core/sleep.ts")).sleepResultText(result));
    });
}
