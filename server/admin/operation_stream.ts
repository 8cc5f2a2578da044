/**
 * Long operations over HTTP: the answer is newline-delimited JSON, one line per
 * progress event as it happens, then one `result` or `error` line. The client
 * reads it the same way whatever the operation.
 *
 * @module
 */
import type { ProgressEvent } from "../../core/progress.ts";
import { FaasoError } from "../../core/errors.ts";
import { describeError } from "./errors.ts";

/** One line of an operation stream. */
export type OperationLine =
  | ProgressEvent
  | { kind: "result"; result: unknown }
  | { kind: "error"; error: { status: number; code: string; message: string; details?: string[] } };

/** The media type of operation streams. */
export const NDJSON = "application/x-ndjson";

/**
 * Runs `work` and streams its progress and outcome. `signal` (the client's)
 * is handed to the work: a build stops when its client goes away; lifecycle
 * operations (scale, deploy, rm) ignore it and finish, as half-done ones
 * would leave more to clean up than done ones.
 */
export function operationResponse<T>(
  work: (progress: (event: ProgressEvent) => void, signal: AbortSignal) => Promise<T>,
  signal: AbortSignal,
): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: OperationLine) => {
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
        } catch {
          // The client went away; the work still finishes.
        }
      };
      try {
        send({ kind: "result", result: await work(send, signal) });
      } catch (error) {
        const described = describeError(error);
        send({
          kind: "error",
          error: {
            ...described,
            ...(error instanceof FaasoError && error.details.length ? { details: error.details } : {}),
          },
        });
      }
      try {
        controller.close();
      } catch {
        // Already cancelled.
      }
    },
  });
  return new Response(body, { headers: { "content-type": NDJSON, "cache-control": "no-store" } });
}
