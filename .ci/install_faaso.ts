/**
 * `deno task install-faaso [--root DIR]`: installs this clone's main.ts as the
 * command `faaso`, with exactly what `deno task faaso` gives deno: its
 * permissions and flags (through `deno install --global`) and its environment.
 * A `deno install` launcher has no place for a variable, and Deno reads some
 * only as it starts (`--env-file` comes too late for them), so each variable
 * the task sets is exported at the top of the launcher, unless the caller
 * has set it. Arguments go to `deno install`.
 *
 * @module
 */
import { join } from "node:path";
import { FAASO_ARGS, FAASO_ENV, ROOT } from "../tests/cli_args.ts";

/** A value the launcher can hold between double quotes as it is. */
const PLAIN_VALUE = /^[A-Za-z0-9_.,:=+\/-]*$/;

/** Where `deno install --global` puts commands: `--root`, else DENO_INSTALL_ROOT, else ~/.deno (Deno's order). */
function binFolder(args: string[]): string {
  const at = args.findIndex((arg) => arg === "--root" || arg.startsWith("--root="));
  const root = at < 0
    ? Deno.env.get("DENO_INSTALL_ROOT") ?? join(Deno.env.get("HOME") ?? "", ".deno")
    : args[at]!.startsWith("--root=")
    ? args[at]!.slice("--root=".length)
    : args[at + 1]!;
  return join(root, "bin");
}

/** The launcher's text with the task's variables exported before its `exec` line. */
export function withEnvironment(launcher: string, env: Record<string, string>): string {
  const lines = launcher.split("\n");
  const exec = lines.findIndex((line) => line.startsWith("exec "));
  if (exec < 0) throw new Error(`no exec line in the launcher deno install wrote:\n${launcher}`);
  const exports = Object.entries(env).map(([name, value]) => {
    if (!PLAIN_VALUE.test(value)) throw new Error(`the faaso task's ${name} is not a plain value: ${value}`);
    return `export ${name}="\${${name}:-${value}}"`;
  });
  if (exports.length) {
    exports.unshift("# The faaso task's environment (deno task install-faaso; README, Installing faaso).");
  }
  lines.splice(exec, 0, ...exports);
  return lines.join("\n");
}

if (import.meta.main) {
  const flags = FAASO_ARGS.slice(1, -1);
  const install = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "--global",
      "--force",
      "--name",
      "faaso",
      "--config",
      "deno.json",
      ...Deno.args,
      ...flags,
      "main.ts",
    ],
    cwd: ROOT,
  }).spawn().status;
  if (!install.success) Deno.exit(install.code || 1);
  const launcher = join(binFolder(Deno.args), "faaso");
  await Deno.writeTextFile(launcher, withEnvironment(await Deno.readTextFile(launcher), FAASO_ENV));
}
