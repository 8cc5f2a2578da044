/**
 * `faaso status [NAME]`: funkos, their instances and images. The text is
 * made by status_text.ts, loaded when there is something to print (it needs
 * the settings' schemas, which `faaso --help` should not load).
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { prefetchStatus } from "../../core/status_prefetch.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";

/** Adds `status` to the program. */
export function statusCommand(program: Command, ctx: CliContext): void {
  program.command("status")
    .summary("show funkos, their instances and images")
    .description(
      "Show every funko (or only NAME): its instances with state, health and whether they run the " +
        "latest image, and its images; when a server answers (remote mode, or a faaso serve running on this " +
        "machine with the same data folder), also its requests/s, error rate and latency over the last minute. " +
        "--json prints the same as JSON.",
    )
    .argument("[name]", "only this funko (or its folder)")
    .option("--json", "print JSON")
    .option("-l, --local", "ask this machine's engine even when a server is configured")
    .action(async (arg, options) => {
      const name = arg === undefined ? undefined : await funkoArg(arg);
      const backend = await ctx.backend(options, (docker) => prefetchStatus(docker, name));
      const [funkos, traffic] = await Promise.all([backend.status(name), backend.traffic(60).catch(() => undefined)]);
      const withTraffic = traffic
        ? funkos.map((funko) => ({ ...funko, traffic: traffic.funkos[funko.name] ?? null }))
        : funkos;
      if (options.json) ctx.output.json(name ? withTraffic[0] : withTraffic);
      else if (funkos.length === 0) ctx.output.print("No funkos yet: create one with faaso new -r deno hello");
      else (await import("./status_text.ts")).printStatus(ctx.output, funkos, name !== undefined, traffic);
    });
}
