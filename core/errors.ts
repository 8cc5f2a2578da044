/**
 * The error type for everything a user can fix: bad input, missing funkos,
 * failed builds. The CLI prints its message as a sentence; the server answers
 * with its status and message as JSON.
 *
 * @module
 */

/** Options for {@linkcode FaasoError}. */
export interface FaasoErrorOptions {
  /** HTTP status the server answers with. Default 400. */
  status?: number;
  /** Machine-readable code, e.g. `funko_not_found`. */
  code?: string;
  /** Extra lines shown after the message (a failing instance's last logs). */
  details?: string[];
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A failure the user can act on, with a message that says what is wrong and
 * where: "Cannot build hello: hello/funko.yml: name: ...".
 */
export class FaasoError extends Error {
  /** HTTP status for the server's answer. */
  readonly status: number;
  /** Machine-readable code. */
  readonly code: string;
  /** Extra lines shown after the message. */
  readonly details: string[];

  constructor(message: string, options: FaasoErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "FaasoError";
    this.status = options.status ?? 400;
    this.code = options.code ?? "bad_request";
    this.details = options.details ?? [];
  }
}

/** The error for a funko (or image, or instance) that does not exist. */
export function notFound(message: string): FaasoError {
  return new FaasoError(message, { status: 404, code: "not_found" });
}
