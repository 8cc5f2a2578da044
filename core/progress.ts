/**
 * How long operations tell what they are doing. The CLI shows events as a
 * spinner or plain lines, the server streams them to its client as JSON lines.
 *
 * @module
 */

/** Something a long operation reports. */
export type ProgressEvent =
  /** A phase begins: "Building faaso-hello", "Starting faaso-hello-x1y2z3". */
  | { kind: "step"; text: string }
  /** A line of output from the engine or an instance (build output). */
  | { kind: "output"; text: string }
  /** Something the user should know but that is not a failure. */
  | { kind: "warning"; text: string };

/** Receives progress events. */
export type Progress = (event: ProgressEvent) => void;

/** A progress receiver that drops everything. */
export const silent: Progress = () => {};
