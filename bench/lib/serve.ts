/**
 * `faaso serve` as a subprocess on the host, with its admin API at hand.
 *
 * @module
 */
import { isolatedEnv } from "../../tests/sandbox.ts";
import { FAASO_ARGS, freePort, type Service, service } from "./proc.ts";

/** The password the bench's proxy runs with. */
const PASSWORD = "benchpassword";

/** A running `faaso serve`. */
export interface FaasoProxy extends Service {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Its data folder (a temporary one). */
  dataDir: string;
  /** An admin token. */
  token: string;
  /** What it printed, stdout and stderr interleaved. */
  lines: string[];
}

/** Reads a stream line by line into `lines`, calling `onLine` for each. */
async function collect(stream: ReadableStream<Uint8Array>, lines: string[], onLine: (line: string) => void) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      onLine(line);
    }
  }
}

/** Starts `faaso serve [ARGS]` on a free port of 127.0.0.1, waits until it listens and logs in. */
export async function startFaasoProxy(args: string[] = []): Promise<FaasoProxy> {
  const dataDir = await Deno.makeTempDir({ prefix: "faaso-bench-data-" });
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [...FAASO_ARGS, "serve", "--port", String(port), "--host", "127.0.0.1", ...args],
    env: isolatedEnv({ FAASO_DATA: dataDir, FAASO_PASSWORD: PASSWORD }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const proc = service(child, () => Deno.remove(dataDir, { recursive: true }));
  const lines: string[] = [];
  const listening = Promise.withResolvers<string>();
  const onLine = (line: string) => {
    const url = /listening on (http:\/\/\S+?):? /.exec(line)?.[1];
    if (url) listening.resolve(url);
  };
  const streams = Promise.all([collect(child.stdout, lines, onLine), collect(child.stderr, lines, onLine)]);
  streams.then(() => listening.reject(new Error(`faaso serve ended early:\n${lines.join("\n")}`)));
  const timer = setTimeout(() => listening.reject(new Error("faaso serve did not listen within 30 s")), 30_000);
  let url: string;
  try {
    url = await listening.promise;
  } catch (error) {
    await proc.stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const login = await fetch(`${url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  });
  const { token } = await login.json() as { token: string };
  return {
    ...proc,
    url,
    dataDir,
    token,
    lines,
    stop: async () => {
      await proc.stop();
      await streams.catch(() => {});
    },
  };
}

/** One endpoint in the proxy's routing table (the fields the bench reads). */
export interface RouteEntry {
  /** Instance ID. */
  id: string;
  /** Instance name. */
  name: string;
  /** Docker's verdict as the proxy knows it. */
  health: string;
  /** Whether the proxy sends it requests. */
  ready: boolean;
}

/** The proxy's routing table for one funko (`GET /admin/api/routes`): its endpoints, each with `ready`. */
export async function routesOf(proxy: FaasoProxy, funko: string): Promise<RouteEntry[]> {
  const response = await fetch(`${proxy.url}/admin/api/routes`, {
    headers: { authorization: `Bearer ${proxy.token}` },
  });
  if (!response.ok) throw new Error(`GET /admin/api/routes: ${response.status}`);
  const table = await response.json() as Record<string, RouteEntry[]>;
  return table[funko] ?? [];
}
