/**
 * The `faaso` command line: parses arguments, runs one command, turns errors
 * into messages and an exit code. Only main.ts exits the process.
 *
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { DockerApiError, DockerUnreachableError } from "../docker/errors.ts";
import { FaasoError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import type { Backend } from "./backend.ts";
import { loginCommands } from "./commands/login.ts";
import { serveCommand } from "./commands/serve.ts";
import { buildCommand } from "./commands/build.ts";
import { callsCommands } from "./commands/calls.ts";
import { deployCommand } from "./commands/deploy.ts";
import { secretCommands } from "./commands/secret.ts";
import { exportCommand } from "./commands/export.ts";
import { logsCommand } from "./commands/logs.ts";
import { newCommand } from "./commands/new.ts";
import { pruneCommand } from "./commands/prune.ts";
import { rmCommand } from "./commands/rm.ts";
import { rollbackCommand } from "./commands/rollback.ts";
import { scaleCommands } from "./commands/scale.ts";
import { sleepCommands } from "./commands/sleep.ts";
import { statusCommand } from "./commands/status.ts";
import { topCommand } from "./commands/top.ts";
import { versionCommand } from "./commands/version.ts";
import { invokeCommand } from "./commands/invoke.ts";
import { completionsCommand } from "./commands/completions.ts";
import type { CliContext } from "./context.ts";
import { Output } from "./output.ts";

/** Dependencies of {@linkcode runCli}, replaceable in tests. */
export interface CliOptions {
  /** Where to print. Default: the process's stdout and stderr. */
  output?: Output;
  /** Standard input. Default: the process's. */
  stdin?: ReadableStream<Uint8Array>;
  /** Makes the backend for a command's options. Default: local, or the configured server. */
  backend?: CliContext["backend"];
}

/** Runs the CLI with `args` (without the program name) and returns the exit code. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<number> {
  const output = options.output ?? await Output.console();
  const backends: Backend[] = [];
  const ctx: CliContext = {
    output,
    backend: async (where, prefetch) => {
      const backend = await (options.backend ?? defaultBackend(output))(where, prefetch);
      backends.push(backend);
      return backend;
    },
    stdin: options.stdin ?? Deno.stdin.readable,
    stdinIsTerminal: options.stdin ? false : Deno.stdin.isTerminal(),
    exitCode: 0,
  };
  const program = createProgram(ctx);
  const backendFor = ctx.backend;
  // `faaso -l status` and `faaso status -l` mean the same.
  ctx.backend = (where, prefetch) => backendFor({ local: where.local || program.opts().local === true }, prefetch);
  try {
    await program.parseAsync(args, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    return reportError(output, error);
  } finally {
    for (const backend of backends) backend.close();
  }
}

/** Builds the commander program with every command. */
export function createProgram(ctx: CliContext) {
  const program = new Command("faaso")
    .description(
      "FaaSO: functions as a service on your own Docker host. " +
        "Funkos are folders with a funko.yml; runtimes supply the rest. Everything FaaSO makes is a " +
        "plain Docker image or container named faaso-NAME..., visible with docker ps.",
    )
    .version(VERSION, "-V, --version", "print FaaSO's version")
    .option("-l, --local", "work on this machine even when a server is configured")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.output.stdout.write(text),
      writeErr: (text) => ctx.output.stderr.write(text),
      // One style for every error: commander's "error: unknown option" reads as FaaSO's "Error: Unknown option".
      outputError: (text, write) => write(usageError(text, ctx.output.colors)),
    })
    .addHelpText("after", HELP_FOOTER);
  // Listed in the order a person meets them, grouped.
  program.commandsGroup("Make and run funkos:");
  newCommand(program, ctx);
  buildCommand(program, ctx);
  scaleCommands(program, ctx);
  sleepCommands(program, ctx);
  deployCommand(program, ctx);
  statusCommand(program, ctx);
  logsCommand(program, ctx);
  topCommand(program, ctx);
  invokeCommand(program, ctx);
  rollbackCommand(program, ctx);
  rmCommand(program, ctx);
  pruneCommand(program, ctx);
  exportCommand(program, ctx);
  secretCommands(program, ctx);
  program.commandsGroup("The server, and working on one:");
  callsCommands(program, ctx);
  serveCommand(program, ctx);
  loginCommands(program, ctx);
  program.commandsGroup("Other:");
  versionCommand(program, ctx);
  completionsCommand(program, ctx);
  program.helpCommand("help [command]", "show help for a command");
  return program;
}

/** Examples and environment variables, below the main help. */
const HELP_FOOTER = `
Examples:
  faaso new hello               a deno funko in ./hello (faaso new -r list: the runtimes)
  faaso build hello             the image faaso-hello:latest
  faaso up hello                start it; faaso status hello shows how it runs
  faaso invoke hello /          call it through the proxy (faaso serve)
  faaso build hello --deploy    rebuild and roll out with zero downtime
  faaso serve                   the proxy on :8888 (funkos at /funko/NAME/) and the web UI at /admin/

Environment:
  FAASO_SERVER     work on this FaaSO server (else the one faaso login saved; -l: this machine)
  FAASO_TOKEN      the token for FAASO_SERVER (else the one faaso login saved)
  FAASO_URL        where faaso invoke reaches the proxy in local mode (default http://localhost:8888)
  FAASO_DATA       the data folder: secrets, and the server's config and credentials
  FAASO_PORT, FAASO_HOST, FAASO_PASSWORD, FAASO_UPSTREAM_TIMEOUT   faaso serve's settings (see faaso serve --help)
  FAASO_SWARM      auto (default: swarm services when the engine is a swarm manager), on or off
  FAASO_REGISTRY   swarm mode: the registry builds are pushed to and nodes pull from (host:port[/path])
  FAASO_METRICS_TOKEN, FAASO_ACCESS_LOG   /metrics's bearer token (else DATA/metrics-token); faaso serve's access log
  DOCKER_HOST      the Docker engine: unix:///path or tcp://host:port (default unix:///var/run/docker.sock)
  NO_COLOR         no colours; FAASO_DEBUG: stack traces of unexpected errors
`;

/** Commander's usage error ("error: unknown option '-x'") in FaaSO's style ("Error: Unknown option '-x'"). */
export function usageError(text: string, colors: Output["colors"]): string {
  const match = /^error: (.)([\s\S]*)$/.exec(text);
  return match ? `${colors.red("Error:")} ${match[1]!.toUpperCase()}${match[2]}` : colors.red(text);
}

/**
 * Local mode with -l or when no server is configured; else the server
 * FAASO_SERVER or the saved login names. Loaded only by commands that need one.
 */
function defaultBackend(output: Output): CliContext["backend"] {
  return async (where, prefetch) => {
    const target = where.local ? undefined : await (await import("./config.ts")).serverTarget();
    if (target) {
      // Remote mode is easy to forget after a faaso login: every command says where it acts.
      output.note(`On ${target.url} (from ${target.source}; -l for this machine)`);
      return new (await import("./remote.ts")).RemoteBackend(target, (text) => output.warn(text));
    }
    // The engine's version check, and what the command asks for first, run while the local backend's modules load.
    const docker = (await import("../docker/mod.ts")).Docker.fromEnv();
    docker.transport.preflight();
    prefetch?.(docker);
    return new (await import("./backend.ts")).LocalBackend(docker);
  };
}

/** Prints an error as a sentence and returns the exit code for it. */
export function reportError(output: Output, error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed usage errors; help and --version end here with 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof FaasoError) {
    output.error(error.message, error.details);
  } else if (error instanceof DockerApiError) {
    output.error(`${error.engineMessage} (Docker engine: ${error.method} ${error.path} answered ${error.status})`);
  } else if (error instanceof DockerUnreachableError) {
    output.error(error.message);
  } else if (error instanceof Deno.errors.NotCapable) {
    output.error(`${error.message.split("\n")[0]} (run faaso with the permissions its deno task grants)`);
  } else {
    output.error(error instanceof Error ? error.message : String(error));
    if (Deno.env.get("FAASO_DEBUG") && error instanceof Error) output.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
