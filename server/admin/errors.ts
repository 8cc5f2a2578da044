/**
 * One place that turns any error into an HTTP status and a JSON body:
 * `{"error": {"code": ..., "message": ...}}`.
 *
 * @module
 */
import { DockerApiError, DockerUnreachableError } from "../../docker/mod.ts";
import { FaasoError } from "../../core/errors.ts";

/** An error as the API shows it. */
export interface DescribedError {
  /** HTTP status. */
  status: number;
  /** Machine-readable code. */
  code: string;
  /** A sentence for people. */
  message: string;
}

/** Maps an error to status, code and message; unknown errors hide their details. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof FaasoError) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof DockerApiError) {
    const status = error.status === 404 || error.status === 409 ? error.status : 502;
    return { status, code: "docker_error", message: `Docker engine: ${error.engineMessage}` };
  }
  if (error instanceof DockerUnreachableError) {
    return { status: 503, code: "docker_unreachable", message: error.message };
  }
  console.error("Unexpected error:", error);
  return { status: 500, code: "internal_error", message: "Internal error: see the server's log" };
}

/** A JSON error answer. */
export function jsonError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error: { code, message } }, { status, headers });
}
