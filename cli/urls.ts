/**
 * Where funkos answer, as the CLI tells a person: through the proxy of the
 * server in remote mode, or of this machine's `faaso serve`. No imports
 * beyond types: every command may load it.
 *
 * @module
 */
import type { Backend } from "./backend.ts";

/**
 * Where this machine's `faaso serve` answers: FAASO_URL, else localhost on
 * FAASO_PORT (8888), the port `faaso serve` takes by default too.
 */
export function localProxyUrl(): string {
  const url = Deno.env.get("FAASO_URL") || `http://localhost:${Deno.env.get("FAASO_PORT") || "8888"}`;
  return url.replace(/\/+$/, "");
}

/** Where a funko answers, for a person to open: `hello answers at http://localhost:8888/funko/hello/ (...)`. */
export function funkoUrlLine(backend: Backend, funko: string): string {
  const url = `${backend.proxyUrl}/funko/${funko}/`;
  return backend.where === "this machine"
    ? `${funko} answers at ${url} (through faaso serve; FAASO_URL if it runs elsewhere)`
    : `${funko} answers at ${url}`;
}
