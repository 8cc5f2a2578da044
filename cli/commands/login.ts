/**
 * `faaso login` and `faaso logout`: trade the admin password for a token and
 * keep it, with the server's URL, in the user's config.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { configPath, readConfig, writeConfig } from "../config.ts";
import { type CliContext, readPassword } from "../context.ts";

/** Adds `login` and `logout` to the program. */
export function loginCommands(program: Command, ctx: CliContext): void {
  program.command("login")
    .summary("log in to a FaaSO server and save its token")
    .description(
      "Ask for the admin password (read from standard input when it is not a terminal), trade it for a " +
        "token and save the server URL and token in ~/.config/faaso/config.json (mode 0600). Remote " +
        "commands then go to that server; -l keeps them local.",
    )
    .option("-s, --server <url>", "the server (default: FAASO_SERVER, or the saved one)")
    .action(async (options) => {
      const config = await readConfig();
      const server = (options.server ?? Deno.env.get("FAASO_SERVER") ?? config.server)?.replace(/\/+$/, "");
      if (!server) throw new FaasoError("Cannot log in: name the server with --server URL or FAASO_SERVER");
      if (!/^https?:\/\/[^/]+/.test(server)) {
        throw new FaasoError(`Cannot log in to ${server}: use a URL such as http://host:8888`);
      }
      const password = await readPassword("Admin password: ", ctx);
      if (!password) throw new FaasoError("Cannot log in: no password given");
      let response: Response;
      try {
        response = await fetch(`${server}/admin/api/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ password }),
        });
      } catch (error) {
        throw new FaasoError(`Cannot reach the FaaSO server at ${server}: ${(error as Error).message.split("\n")[0]}`);
      }
      const body = await response.json().catch(() => ({})) as { token?: string; error?: { message?: string } };
      if (!response.ok || !body.token) {
        throw new FaasoError(`Cannot log in to ${server}: ${body.error?.message ?? response.statusText}`);
      }
      await writeConfig({ ...config, server, token: body.token });
      ctx.output.print(`Logged in to ${server}; token saved in ${configPath()}`);
    });

  program.command("logout")
    .summary("forget the saved server token")
    .description(
      "Remove the token from ~/.config/faaso/config.json; the server's URL stays, so remote commands then " +
        "ask you to log in again. Unset FAASO_SERVER, or use -l, to work on this machine.",
    )
    .action(async () => {
      const config = await readConfig();
      await writeConfig({ server: config.server });
      ctx.output.print(`Logged out${config.server ? ` of ${config.server}` : ""}`);
    });
}
