/**
 * `faaso invoke NAME [PATH]`: one HTTP request to a funko, through the proxy
 * every user of it goes through: the server's in remote mode, else the local
 * `faaso serve` (FAASO_URL, default http://localhost:8888).
 *
 * @module
 */
import { type Command, Option } from "@commander-js/extra-typings";
import { FaasoError } from "../../core/errors.ts";
import { checkFunkoName } from "../../core/names.ts";
import { type CliContext, readAll } from "../context.ts";

/** Adds `invoke` to the program. */
export function invokeCommand(program: Command, ctx: CliContext): void {
  program.command("invoke")
    .summary("send one HTTP request to a funko, through the proxy")
    .description(
      "Send a request to PATH (default /) of the funko NAME through the proxy, print the answer's body on " +
        "stdout and exit 1 unless its status is 2xx. The proxy is the server's in remote mode, else the local " +
        "faaso serve at FAASO_URL (default http://localhost:8888). With -d the request is a POST carrying " +
        "DATA (@FILE reads a file, - standard input); JSON is sent as application/json.",
    )
    .argument("<name>", "the funko")
    .argument("[path]", "the path inside the funko, with its query", "/")
    .option("-d, --data <data>", "the request body: text, @FILE or - (standard input)")
    .addOption(new Option("-X, --request <method>", "the HTTP method (default GET, or POST with -d)"))
    .option(
      "-H, --header <header>",
      "a request header, 'Name: value' (repeatable)",
      (value, previous: string[] = []) => [...previous, value],
    )
    .option("-i, --include", "print the status line and headers before the body")
    .option("-l, --local", "go through this machine's faaso serve even when a server is configured")
    .addHelpText(
      "after",
      "\nExamples:\n  faaso invoke hello\n  faaso invoke hello /items?page=2 -i\n" +
        `  faaso invoke hello /items -d '{"name": "x"}'\n  faaso invoke hello /upload -d @photo.jpg -H 'Content-Type: image/jpeg'\n`,
    )
    .action(async (name, path, options) => {
      checkFunkoName(name);
      const backend = await ctx.backend(options);
      const url = `${backend.proxyUrl}/funko/${name}/${path.replace(/^\/+/, "")}`;
      const headers = new Headers();
      for (const header of options.header ?? []) {
        const at = header.indexOf(":");
        if (at <= 0) throw new FaasoError(`-H ${header}: use 'Name: value'`);
        headers.append(header.slice(0, at).trim(), header.slice(at + 1).trim());
      }
      const body = options.data === undefined ? undefined : await requestBody(options.data, ctx);
      if (body !== undefined && !headers.has("content-type")) headers.set("content-type", contentType(body));
      const method = (options.request ?? (body === undefined ? "GET" : "POST")).toUpperCase();
      let response: Response;
      try {
        response = await fetch(url, { method, headers, body: body as Uint8Array<ArrayBuffer> | undefined });
      } catch (error) {
        throw new FaasoError(
          `Cannot reach the proxy at ${backend.proxyUrl}: ${(error as Error).message.split("\n")[0]} ` +
            "(is faaso serve running there? FAASO_URL names a local one, FAASO_SERVER a remote one)",
        );
      }
      if (options.include) {
        ctx.output.print(`HTTP/1.1 ${response.status} ${response.statusText}`);
        for (const [key, value] of response.headers) ctx.output.print(`${key}: ${value}`);
        ctx.output.print();
      }
      const answer = new Uint8Array(await response.arrayBuffer());
      if (ctx.output.stdout.writeBytes) ctx.output.stdout.writeBytes(answer);
      else ctx.output.stdout.write(new TextDecoder().decode(answer));
      if (answer.length > 0 && answer.at(-1) !== 10 && ctx.output.stdout.isTerminal) ctx.output.print();
      if (!response.ok) {
        throw new FaasoError(`${method} ${url} answered ${response.status} ${response.statusText}`.trim());
      }
    });
}

/** The body `-d` names: the text itself, a file's bytes (`@FILE`) or standard input (`-`). */
async function requestBody(data: string, ctx: CliContext): Promise<Uint8Array> {
  if (data === "-") return await readAll(ctx.stdin);
  if (!data.startsWith("@")) return new TextEncoder().encode(data);
  try {
    return await Deno.readFile(data.slice(1));
  } catch (error) {
    throw new FaasoError(`Cannot read ${data.slice(1)}: ${(error as Error).message}`);
  }
}

/** application/json for JSON, else plain text (binary data needs its own -H). */
function contentType(body: Uint8Array): string {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    return "application/json";
  } catch {
    return "text/plain; charset=utf-8";
  }
}
