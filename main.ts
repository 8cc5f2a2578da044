/**
 * The `faaso` executable: the CLI, and with `faaso serve` the proxy. The only
 * place that reads the process's arguments or exits it.
 *
 * @module
 */
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
