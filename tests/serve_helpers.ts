/**
 * `faaso serve` as a process on the host, for tests.
 *
 * @module
 */
import { LineStream } from "../docker/mod.ts";
import { FAASO_ARGS } from "./helpers.ts";

/** A `faaso serve` process on the host. */
export interface HostServer extends AsyncDisposable {
  url: string;
  lines: string[];
  stop(): Promise<number>;
  /** Kills the process with SIGKILL (a crash: nothing is cleaned up) and waits for it to end. */
  kill(): Promise<void>;
}

/** Runs `faaso serve --port 0 [ARGS]` and waits for its "listening on" line. */
export async function serve(env: Record<string, string>, args: string[] = []): Promise<HostServer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FAASO_ARGS, "serve", "--port", "0", "--host", "127.0.0.1", ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream()).getReader();
  const stderr = new Response(child.stderr).text();
  let url = "";
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`faaso serve ended early:\n${lines.join("\n")}\n${await stderr}`);
    lines.push(value);
    url = /listening on (http:\/\/\S+?): funkos/.exec(value)?.[1] ?? "";
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
      child.kill("SIGTERM");
      const late = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const status = await child.status;
      clearTimeout(late);
      await rest;
      await stderr;
      return status.code;
    })();
  const kill = async () => {
    stopped ??= (async () => {
      child.kill("SIGKILL");
      const status = await child.status;
      await rest;
      await stderr;
      return status.code;
    })();
    await stopped;
  };
  return { url, lines, stop, kill, [Symbol.asyncDispose]: async () => void await stop() };
}
