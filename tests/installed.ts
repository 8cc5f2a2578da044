/**
 * The installed `faaso` command, as `bash .ci/setup` leaves it on PATH
 * (`deno task install-faaso`), put into a folder of the caller's so that
 * tests and benchmarks run this checkout, never another one on the machine.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

/** Installs `faaso` under `root` (as DENO_INSTALL_ROOT) and returns the command's path. */
export async function installFaaso(root: string): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "install-faaso"],
    cwd: ROOT,
    env: { DENO_INSTALL_ROOT: root, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno task install-faaso failed:\n${new TextDecoder().decode(output.stderr)}`);
  }
  return join(root, "bin", "faaso");
}
