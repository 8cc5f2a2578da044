/**
 * `faaso status [NAME]`: funkos, their instances and images.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { readyWhen } from "../../core/manifest.ts";
import type { FunkoStatus } from "../../core/status.ts";
import { ago } from "../../core/time.ts";
import type { CliContext } from "../context.ts";
import type { Output } from "../output.ts";

/** Adds `status` to the program. */
export function statusCommand(program: Command, ctx: CliContext): void {
  program.command("status")
    .summary("show funkos, their instances and images")
    .description(
      "Show every funko (or only NAME): its instances with state, health and whether they run the " +
        "latest image, and its images. --json prints the same as JSON.",
    )
    .argument("[name]", "only this funko")
    .option("--json", "print JSON")
    .option("-l, --local", "ask this machine's engine even when a server is configured")
    .action(async (name, options) => {
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
    const latest = funko.latest ? `${funko.latest.tags.find((t) => t !== "latest") ?? "latest"}` : "no image";
    const origin = funko.image ? `image ${funko.image}` : `runtime ${funko.runtime || "-"}`;
    output.print(
      `${c.bold(funko.name)}  ${origin}  scale ${funko.scale}  latest ${latest}` +
        (funko.latest ? ` (${ago(funko.latest.created)})` : ""),
    );
    if (funko.instances.length === 0) output.print("  no instances");
    for (const instance of funko.instances) {
      const health = instance.health === "none" ? "" : ` ${instance.health}`;
      const date = instance.outOfDate ? c.yellow(" out of date") : "";
      output.print(`  ${instance.name}  ${instance.state}${health}  ${instance.address ?? "-"}${date}`);
    }
    if (detailed) {
      const settings = funko.settings;
      const health = settings.healthcheck;
      output.print(
        `  settings: scale ${settings.scale}, memory ${settings.memory ?? "unlimited"}, cpus ${
          settings.cpus ?? "unlimited"
        }, ` +
          `drain ${settings.drain}`,
      );
      output.print(`  serves: port ${settings.port}, ready when ${readyWhen(settings)}`);
      const own = funko.runtime
        ? "the runtime's GET /ping"
        : funko.image
        ? "the image's own, if any"
        : "the Dockerfile's, if any";
      output.print(
        `  healthcheck: ${health.command ?? own} every ${health.interval} ` +
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
