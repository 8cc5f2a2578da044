/**
 * Errors raised by the Docker Engine API client.
 *
 * @module
 */

/** Options for {@linkcode DockerApiError}. */
export interface DockerApiErrorOptions {
  /** HTTP status the engine answered with. */
  status: number;
  /** HTTP method of the request, e.g. `POST`. */
  method: string;
  /** Request path without the version prefix, e.g. `/containers/create`. */
  path: string;
  /** The engine's own explanation (its `message` field), or the body as text. */
  engineMessage: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The engine answered, but not with a status this endpoint expects.
 *
 * Carries the engine's own message, which is usually the most useful thing to
 * show a user ("No such image: faaso-hello:latest").
 */
export class DockerApiError extends Error {
  /** HTTP status the engine answered with. */
  readonly status: number;
  /** HTTP method of the request. */
  readonly method: string;
  /** Request path without the version prefix. */
  readonly path: string;
  /** The engine's own explanation. */
  readonly engineMessage: string;

  constructor(options: DockerApiErrorOptions) {
    super(
      `Docker engine refused ${options.method} ${options.path} (${options.status}): ${options.engineMessage}`,
      { cause: options.cause },
    );
    this.name = "DockerApiError";
    this.status = options.status;
    this.method = options.method;
    this.path = options.path;
    this.engineMessage = options.engineMessage;
  }
}

/**
 * The engine could not be reached at all: dockerd not running, socket not
 * mounted, or no permission to use it. The message says what to check.
 */
export class DockerUnreachableError extends Error {
  /** Where we tried to reach the engine, e.g. `unix:///var/run/docker.sock`. */
  readonly host: string;

  constructor(host: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `Cannot reach the Docker engine at ${host}: ${firstLine(reason)}. ` +
        "Check that dockerd is running, that the socket is mounted where DOCKER_HOST says " +
        "(in a container: -v /var/run/docker.sock:/var/run/docker.sock), " +
        "and that this user may use it (root, or the docker group)",
      { cause },
    );
    this.name = "DockerUnreachableError";
    this.host = host;
  }
}

/**
 * A build or pull reported failure inside a successful (HTTP 200) response: the
 * engine's `errorDetail` line.
 */
export class DockerStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DockerStreamError";
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.replace(/[.\s]+$/, "") ?? text;
}
