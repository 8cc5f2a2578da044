/**
 * `faaso serve` as a process on the host, for tests, in the test file's
 * sandbox (see sandbox.ts).
 *
 * @module
 */
import { LineStream } from "../docker/mod.ts";
import { FAASO_ARGS, isolatedEnv } from "./helpers.ts";
import { onTimeLimit, track } from "./limits.ts";

/** A `faaso serve` process on the host. */
export interface HostServer extends AsyncDisposable {
  url: string;
  lines: string[];
  stop(): Promise<number>;
  /** Kills the process with SIGKILL (a crash: nothing is cleaned up) and waits for it to end. */
  kill(): Promise<void>;
}

/**
 * Runs `faaso serve --port 0 [ARGS]` with `env` on top of the sandbox's, and
 * waits (at most 60 s) for its "listening on" line.
 */
export async function serve(env: Record<string, string>, args: string[] = []): Promise<HostServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FAASO_ARGS, "serve", "--port", "0", "--host", "127.0.0.1", ...args],
    env: isolatedEnv(env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let url = "";
  const starting = track("faaso serve (waiting for its listening line)");
  const tooLong = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`faaso serve ended early (or took over 60 s):\n${lines.join("\n")}\n${await stderr}`);
      lines.push(value);
      url = /listening on (http:\/\/\S+?): funkos/.exec(value)?.[1] ?? "";
    }
  } finally {
    clearTimeout(tooLong);
    starting();
  }
  const rest = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      lines.push(value);
    }
  })();
  let stopped: Promise<number> | undefined;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const late = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const status = await child.status;
      clearTimeout(late);
      await rest;
      await stderr;
      unregister();
      return status.code;
    })();
  const kill = async () => {
    stopped ??= (async () => {
      child.kill("SIGKILL");
      const status = await child.status;
      await rest;
      await stderr;
      unregister();
      return status.code;
    })();
    await stopped;
  };
  // A test that runs over its time limit does not leave the server running.
  const unregister = onTimeLimit(async () => void await stop());
  return { url, lines, stop, kill, [Symbol.asyncDispose]: async () => void await stop() };
}
