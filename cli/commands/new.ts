/**
 * `faaso new -r RUNTIME NAME`: a funko folder from a runtime's template;
 * `faaso new -r list`: the runtimes; `faaso new NAME --image REF`: a funko
 * that runs an image.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";

/** Adds `new` to the program. */
export function newCommand(program: Command, ctx: CliContext): void {
  program.command("new")
    .summary("create a funko folder from a runtime's template, or one that runs an image")
    .description(
      "Create the folder NAME, in the current folder, holding a new funko of the given runtime (deno unless " +
        "-r says otherwise): funko.yml and the code to edit. RUNTIME is a runtime's name or the path of a " +
        "runtime folder. `-r list` shows the runtimes. With --image REF instead, the funko runs that image as " +
        "it is (funko.yml only): give the port its app listens on and, if it has one, its health path.",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  faaso new hello\n  faaso new -r python greeter\n  faaso new -r list\n" +
        "  faaso new web --image nginx:1.27 --port 80\n",
    )
    .option("-r, --runtime <runtime>", "runtime name or folder, or `list` (default: deno)")
    .option("--image <ref>", "run this image instead of code (registry.example.com/team/app:1.4)")
    .option("--port <port>", "with --image: the port its app listens on (default: the one it EXPOSEs, else 3000)")
    .option("--health <path>", "with --image: a path whose GET answers 2xx when ready, or none (the default)")
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
      if (options.image !== undefined) {
        if (options.runtime !== undefined) {
          throw new FaasoError("Cannot create a funko with both --image and -r: it runs an image or builds code");
        }
        if (!name) throw new FaasoError("Cannot create a funko: give its name, as in faaso new web --image nginx:1.27");
        let port = options.port === undefined ? undefined : parsePort(options.port);
        const guessed = port === undefined ? await guessPort(options.image) : undefined;
        port ??= guessed;
        const created = await (await import("../../core/new_funko.ts")).newImageFunko(name, {
          image: options.image,
          port,
          health: options.health,
        });
        const from = guessed
          ? `, port ${guessed} from its EXPOSE`
          : port
          ? ""
          : ", port 3000: give --port if it differs";
        ctx.output.print(`Created ${name}/${created.files[0]} (image ${options.image}${from})`);
        ctx.output.print(`Next: faaso build ${name} && faaso up ${created.name}`);
        return;
      }
      if (options.port !== undefined || options.health !== undefined) {
        throw new FaasoError("Cannot use --port or --health without --image: a runtime decides them");
      }
      const runtime = options.runtime ?? "deno";
      if (!name) throw new FaasoError("Cannot create a funko: give its name, as in faaso new hello");
      const created = await (await import("../../core/new_funko.ts")).newFunko(runtime, name);
      ctx.output.print(`Created ${name}/ (runtime ${runtime}): ${created.files.join(", ")}`);
      ctx.output.print(`Next: edit it, then faaso build ${name} && faaso up ${created.name}`);
    });
}

/** The port the image declares, when this machine's engine has it; undefined otherwise (no engine is fine). */
async function guessPort(image: string): Promise<number | undefined> {
  const [{ Docker, isImageReference }, { exposedPort }] = await Promise.all([
    import("../../docker/mod.ts"),
    import("../../core/image_funko.ts"),
  ]);
  if (!isImageReference(image)) return undefined;
  const docker = Docker.fromEnv();
  try {
    return await exposedPort(docker, image);
  } catch {
    return undefined;
  } finally {
    docker.close();
  }
}

/** Parses --port: a whole number from 1 to 65535. */
function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new FaasoError(`--port ${text}: use a port number from 1 to 65535`);
  }
  return port;
}
