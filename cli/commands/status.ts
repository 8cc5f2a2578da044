/**
 * `faaso status [NAME]`: funkos, their instances and images.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import type { FunkoStatus } from "../../core/status.ts";
import { foreignLatestNote } from "../../core/names.ts";
import { ago } from "../../core/time.ts";
import { counted } from "../../core/words.ts";
import type { CliContext } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";
import type { Output } from "../output.ts";

/** Adds `status` to the program. */
export function statusCommand(program: Command, ctx: CliContext): void {
  program.command("status")
    .summary("show funkos, their instances and images")
    .description(
      "Show every funko (or only NAME): its instances with state, health and whether they run the " +
        "latest image, and its images. --json prints the same as JSON.",
    )
    .argument("[name]", "only this funko (or its folder)")
    .option("--json", "print JSON")
    .option("-l, --local", "ask this machine's engine even when a server is configured")
    .action(async (arg, options) => {
      const name = arg === undefined ? undefined : await funkoArg(arg);
      const backend = await ctx.backend(options);
      const funkos = await backend.status(name);
      if (options.json) ctx.output.json(name ? funkos[0] : funkos);
      else if (funkos.length === 0) ctx.output.print("No funkos yet: create one with faaso new -r deno hello");
      else printStatus(ctx.output, funkos, name !== undefined);
    });
}

/** Prints funkos as a table, with instance and image lines under each. */
export function printStatus(output: Output, funkos: FunkoStatus[], detailed: boolean): void {
  const c = output.colors;
  for (const funko of funkos) {
    const latest = !funko.latest
      ? "no image"
      : funko.latest.foreign
      ? c.yellow("latest, not built by FaaSO")
      : `${funko.latest.tags.find((t) => t !== "latest") ?? "latest"}`;
    output.print(
      `${c.bold(funko.name)}  runtime ${funko.runtime || "-"}  scale ${funko.scale}  latest ${latest}` +
        (funko.latest ? ` (${ago(funko.latest.created)})` : ""),
    );
    if (funko.instances.length === 0) output.print("  no instances");
    for (const instance of funko.instances) {
      const health = instance.health === "none" ? "" : ` ${instance.health}`;
      const date = instance.outOfDate ? c.yellow(" out of date") : "";
      const crashes = instance.restarts
        ? c.red(`  restarted ${counted(instance.restarts, "time")}, last exit code ${instance.exitCode ?? "?"}`)
        : "";
      output.print(`  ${instance.name}  ${instance.state}${health}  ${instance.address ?? "-"}${date}${crashes}`);
    }
    if (funko.latest?.foreign) output.warn(foreignLatestNote(funko.name));
    if (detailed) {
      const settings = funko.settings;
      const health = settings.healthcheck;
      output.print(
        `  settings: scale ${settings.scale}, memory ${settings.memory ?? "unlimited"}, cpus ${
          settings.cpus ?? "unlimited"
        }, ` +
          `drain ${settings.drain}`,
      );
      output.print(
        `  healthcheck: ${health.command ?? "the runtime's GET /ping"} every ${health.interval} ` +
          `(timeout ${health.timeout}, start period ${health.start_period}, ${health.retries} retries)`,
      );
      const env = Object.entries(settings.env);
      output.print(`  env: ${env.length ? env.map(([k, v]) => `${k}=${v}`).join(" ") : "-"}`);
      output.print("  images:");
      for (const image of funko.images) {
        output.print(
          `    ${image.tags.join(", ") || "<untagged>"}  ${image.id.slice(7, 19)}  ${megabytes(image.size)}`,
        );
      }
    }
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
