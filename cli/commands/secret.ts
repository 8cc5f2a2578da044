/**
 * `faaso secret add|ls|rm`: funko secrets. Values come from standard input or
 * a file, never from the command line, and are never printed.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { type CliContext, readAll, readHidden } from "../context.ts";
import { funkoArg } from "../funko_arg.ts";

/** Adds `secret` and its subcommands to the program. */
export function secretCommands(program: Command, ctx: CliContext): void {
  const secret = program.command("secret")
    .summary("manage funko secrets (mounted at /secrets/NAME in instances)")
    .description(
      "Secrets live in a data folder (mode 0600) and are mounted read-only into the funko's instances at " +
        "/secrets/NAME. Their values are never shown again: not by ls, status, logs or any API. In local mode " +
        "the store is this machine's data folder (FAASO_DATA, else ~/.local/share/faaso); in remote mode, the " +
        "server's. Instances see the store of whoever started them.",
    );

  secret.command("add")
    .summary("store a secret (value from stdin or --from-file)")
    .description(
      "Store the secret NAME of FUNKO, byte for byte, from --from-file or standard input (asked without echo on " +
        "a terminal). Replaces an existing one.",
    )
    .argument("<funko>", "the funko (or its folder)")
    .argument("<name>", "the secret's name: its file in /secrets")
    .option("--from-file <path>", "read the value from this file")
    .addHelpText(
      "after",
      "\nExamples:\n  faaso secret add hello api-key\n  faaso secret add hello cert --from-file cert.pem\n" +
        '  printf %s "$TOKEN" | faaso secret add hello token\n',
    )
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, name, options) => {
      const funko = await funkoArg(arg);
      let value: Uint8Array;
      if (options.fromFile) {
        try {
          value = await Deno.readFile(options.fromFile);
        } catch (error) {
          throw new FaasoError(`Cannot read ${options.fromFile}: ${(error as Error).message}`);
        }
      } else if (ctx.stdinIsTerminal) {
        value = new TextEncoder().encode(await readHidden(`Value of ${funko}'s secret ${name}: `, ctx));
      } else {
        value = await readAll(ctx.stdin);
      }
      const backend = await ctx.backend(options);
      const change = await backend.addSecret(funko, name, value);
      ctx.output.print(`Stored ${funko}'s secret ${name} (${value.length} bytes) in ${change.store}. ${change.note}`);
    });

  secret.command("ls")
    .summary("list secret names (never values)")
    .argument("[funko]", "only this funko's (or its folder's)")
    .option("--json", "print JSON")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, options) => {
      const funko = arg === undefined ? undefined : await funkoArg(arg);
      const backend = await ctx.backend(options);
      const secrets = await backend.listSecrets(funko);
      if (options.json) {
        ctx.output.json(secrets);
        return;
      }
      const store = await backend.secretStore();
      const entries = Object.entries(secrets);
      if (entries.every(([, names]) => names.length === 0)) {
        ctx.output.print(funko ? `${funko} has no secrets in ${store}` : `No secrets in ${store}`);
        return;
      }
      ctx.output.stderr.write(`Secrets in ${store}:\n`);
      for (const [owner, names] of entries) for (const name of names) ctx.output.print(`${owner}  ${name}`);
    });

  secret.command("rm")
    .summary("remove a secret")
    .argument("<funko>", "the funko (or its folder)")
    .argument("<name>", "the secret")
    .option("-l, --local", "work on this machine even when a server is configured")
    .action(async (arg, name, options) => {
      const funko = await funkoArg(arg);
      const backend = await ctx.backend(options);
      const change = await backend.removeSecret(funko, name);
      ctx.output.print(`Removed ${funko}'s secret ${name} from ${change.store}. ${change.note}`);
    });
}
