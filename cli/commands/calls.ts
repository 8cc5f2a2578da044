/**
 * `faaso calls [NAME]`, `faaso calls retry ID`, `faaso calls rm ID`: async
 * calls queued, being delivered, failed (out of attempts) and done recently.
 *
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { CALL_STATES, type CallState, type CallSummary } from "../../core/call_store.ts";
import { FaasoError } from "../../core/errors.ts";
import { ago } from "../../core/time.ts";
import type { CliContext } from "../context.ts";
import type { Output } from "../output.ts";

/** Adds `calls` and its subcommands to the program. */
export function callsCommands(program: Command, ctx: CliContext): void {
  const calls = program.command("calls")
    .summary("list async calls: queued, running, failed, done recently")
    .description(
      "List the async calls (POST /async/funko/NAME/...) of every funko, or of NAME, newest first: queued, " +
        "being delivered, failed after their last attempt, and done in the last hour. " +
        "faaso calls retry ID queues a failed call again; faaso calls rm ID forgets one. " +
        "An ID may be shortened to its first 4 or more characters.",
    )
    .argument("[name]", "only this funko's calls")
    .option("--state <states>", `only these states, comma-separated (${CALL_STATES.join(", ")})`)
    .option("--limit <n>", "at most this many", "200")
    .option("--json", "print JSON")
    .option("-l, --local", "read this machine's data folder even when a server is configured")
    .action(async (name, options) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new FaasoError(`--limit ${options.limit}: use a whole number`);
      const states = options.state?.split(",").map((state) => state.trim()).filter(Boolean) as CallState[] | undefined;
      const backend = await ctx.backend(options);
      const list = await backend.listCalls({ ...(name ? { funko: name } : {}), ...(states ? { states } : {}), limit });
      if (options.json) ctx.output.json(list);
      else printCalls(ctx.output, list, name);
    });

  calls.command("retry")
    .summary("queue a failed call again (its attempts start over)")
    .argument("<id>", "the call's id")
    .option("-l, --local", "use this machine's data folder even when a server is configured")
    .action(async (id, options) => {
      const backend = await ctx.backend(options);
      const call = await backend.retryCall(id);
      ctx.output.print(`Queued call ${call.id} to ${call.funko} again (${call.method} ${call.target})`);
    });

  calls.command("rm")
    .summary("forget a call (queued, failed or done)")
    .argument("<id>", "the call's id")
    .option("-l, --local", "use this machine's data folder even when a server is configured")
    .action(async (id, options) => {
      const backend = await ctx.backend(options);
      const call = await backend.removeCall(id);
      ctx.output.print(`Removed call ${call.id} to ${call.funko} (it was ${call.state})`);
    });
}

/** One line per call: id, funko, state, request, attempts, age, last status or error. */
export function printCalls(output: Output, calls: CallSummary[], funko?: string): void {
  if (calls.length === 0) {
    output.print(funko ? `No async calls of ${funko}` : "No async calls");
    return;
  }
  const c = output.colors;
  const paint: Record<CallState, (text: string) => string> = {
    queued: c.yellow,
    running: c.yellow,
    failed: c.red,
    done: c.green,
  };
  for (const call of calls) {
    const state = call.phase === "callback" && call.state !== "done" && call.state !== "failed"
      ? `${call.state} (callback)`
      : call.state;
    const result = call.status === null ? "" : ` status ${call.status}`;
    const callback = call.callbackStatus === null ? "" : ` callback ${call.callbackStatus}`;
    const error = call.error && call.state !== "done" ? `  ${call.error}` : "";
    const due = call.state === "queued" && call.due > Date.now() + 500
      ? ` next attempt in ${Math.ceil((call.due - Date.now()) / 1000)}s`
      : "";
    output.print(
      `${call.id}  ${call.funko}  ${paint[call.state](state.padEnd(9))}  ${call.method} ${call.target}  ` +
        `${call.attempts} attempt${call.attempts === 1 ? "" : "s"}  ${ago(new Date(call.created).toISOString())}` +
        `${result}${callback}${due}${error}`,
    );
  }
}
