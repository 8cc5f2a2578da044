/**
 * `faaso serve`: the proxy, the admin API and the web UI.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import {
  BUILD_NETWORK_ENV,
  BUILD_SETTING_FLAGS,
  buildSettingsFromEnv,
  checkBuildSettings,
  GITHUB_MIRROR_ENV,
  withDefaults,
} from "../../core/build_settings.ts";
import { FaasoError } from "../../core/errors.ts";
import { type CliContext, readPassword } from "../context.ts";

/** Proxy threads without --threads: one per core, up to this many (each is a V8 heap of its own, ~30-60 MB). */
const MAX_DEFAULT_THREADS = 4;

/** Adds `serve` to the program. */
export function serveCommand(program: Command, ctx: CliContext): void {
  program.command("serve")
    .summary("run the proxy, the admin API and the web UI (/admin/)")
    .description(
      "Reverse-proxy http://HOST:PORT/funko/NAME/ to NAME's healthy instances, and serve the admin API " +
        "at /admin/api/ and the web UI at /admin/. The admin password comes from FAASO_PASSWORD, else DATA/config.yml, else it is " +
        "generated on the first start and printed once.",
    )
    .option("-p, --port <port>", "port to listen on (env FAASO_PORT)", Deno.env.get("FAASO_PORT") ?? "8888")
    .option("--host <address>", "address to listen on (env FAASO_HOST)", Deno.env.get("FAASO_HOST") ?? "0.0.0.0")
    .option("--data <folder>", "the data folder (env FAASO_DATA; default ~/.local/share/faaso)")
    .option(
      "--upstream-timeout <seconds>",
      "how long to wait for a funko's answer (env FAASO_UPSTREAM_TIMEOUT)",
      Deno.env.get("FAASO_UPSTREAM_TIMEOUT") ?? "60",
    )
    .option(
      "--swarm [mode]",
      "run funkos as swarm services: auto (when the engine is a swarm manager), on (--swarm alone) or off " +
        "(env FAASO_SWARM; default auto)",
    )
    .option(
      "--registry <address>",
      "swarm mode: the registry builds are pushed to and nodes pull from, host:port[/path] (env FAASO_REGISTRY)",
    )
    .option(
      "--threads <n>",
      "threads that proxy: the main one and workers beside it on the same port (env FAASO_THREADS; " +
        `default: the machine's cores, at most ${MAX_DEFAULT_THREADS})`,
      Deno.env.get("FAASO_THREADS") || undefined,
    )
    .option("--no-metrics", "count no traffic: no /metrics, no figures in the web UI, faaso status and faaso top")
    .option(
      "--access-log [file]",
      "write a line per proxied request to FILE, or to stderr without one or with - (env FAASO_ACCESS_LOG)",
      Deno.env.get("FAASO_ACCESS_LOG") || undefined,
    )
    .option(
      "--access-log-format <format>",
      "json or common (env FAASO_ACCESS_LOG_FORMAT)",
      Deno.env.get("FAASO_ACCESS_LOG_FORMAT") ?? "json",
    )
    .option(
      "--github-mirror <url>",
      `builds fetch what they download from github.com from this mirror (env ${GITHUB_MIRROR_ENV})`,
    )
    .option(
      "--build-network <name>",
      `the network builds' RUN steps join, e.g. where the mirror answers (env ${BUILD_NETWORK_ENV})`,
    )
    .option("--hash-password", "read a password from stdin, print its hash for config.yml's password_hash, and exit")
    .option("-l, --local", "accepted for symmetry: serve always runs on this machine")
    .action(async (options) => {
      if (options.hashPassword) {
        const password = await readPassword("Password to hash: ", ctx);
        if (!password || password.length < 8) {
          throw new FaasoError("Cannot hash the password: use at least 8 characters");
        }
        ctx.output.print(await (await import("../../server/admin/auth.ts")).hashPassword(password));
        return;
      }
      const port = wholeNumber("--port", options.port, 0, 65535);
      const threads = options.threads === undefined
        ? Math.min(MAX_DEFAULT_THREADS, navigator.hardwareConcurrency || 1)
        : wholeNumber("--threads", options.threads, 1, 64);
      const timeout = Number(options.upstreamTimeout);
      if (!(timeout > 0)) {
        throw new FaasoError(`--upstream-timeout ${options.upstreamTimeout}: use a number of seconds`);
      }
      const format = options.accessLogFormat;
      if (format !== "json" && format !== "common") {
        throw new FaasoError(`--access-log-format ${format}: use json or common`);
      }
      const accessLog = options.accessLog === undefined
        ? undefined
        : { destination: options.accessLog === true ? "-" : options.accessLog, format: format as "json" | "common" };
      const flags = { githubMirror: options.githubMirror, network: options.buildNetwork };
      const build = withDefaults(checkBuildSettings(flags, BUILD_SETTING_FLAGS), buildSettingsFromEnv());
      const progress = (event: { kind: string; text: string }) =>
        event.kind === "warning" ? ctx.output.warn(event.text) : ctx.output.print(event.text);
      const [{ DataFolder }, { startServer }, { parseRegistry, parseSwarmSetting }] = await Promise.all([
        import("../../core/data_folder.ts"),
        import("../../server/mod.ts"),
        import("../../core/swarm/mode.ts"),
      ]);
      const swarmFlag = options.swarm === true ? "on" : options.swarm;
      const setting = swarmFlag === undefined
        ? parseSwarmSetting(Deno.env.get("FAASO_SWARM"))
        : parseSwarmSetting(swarmFlag, "--swarm");
      const registry = options.registry === undefined
        ? parseRegistry(Deno.env.get("FAASO_REGISTRY"))
        : parseRegistry(options.registry, "--registry");
      // A stop request lets requests in flight finish, for at most 10 seconds. The
      // listeners come first: a stop right after the listening line is not lost.
      const { promise: deadline, resolve: stopWaiting } = Promise.withResolvers<"late">();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      const stopOn = (signal: Deno.Signal) => () => {
        if (timer === undefined) ctx.output.print(`Stopping (${signal}): requests in flight get up to 10 s to finish`);
        server?.shutdown();
        timer ??= setTimeout(() => stopWaiting("late"), 10_000);
      };
      const onInt = stopOn("SIGINT");
      const onTerm = stopOn("SIGTERM");
      Deno.addSignalListener("SIGINT", onInt);
      Deno.addSignalListener("SIGTERM", onTerm);
      try {
        server = await startServer({
          port,
          hostname: options.host,
          data: options.data ? new DataFolder(options.data) : DataFolder.fromEnv(),
          password: Deno.env.get("FAASO_PASSWORD") || undefined,
          upstreamTimeoutMs: timeout * 1000,
          threads,
          metrics: options.metrics,
          accessLog,
          build,
          swarm: { setting, ...(registry ? { registry } : {}) },
          progress,
        });
        if (timer !== undefined) server.shutdown();
        if (await Promise.race([server.finished, deadline]) === "late") {
          ctx.output.warn("Stopped before every request in flight finished (10 s after the stop request)");
          ctx.exitCode = 1;
        } else {
          ctx.output.print("Stopped");
        }
      } finally {
        clearTimeout(timer);
        Deno.removeSignalListener("SIGINT", onInt);
        Deno.removeSignalListener("SIGTERM", onTerm);
      }
    });
}

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new FaasoError(`${flag} ${text}: use a whole number from ${min} to ${max}`);
  }
  return value;
}
