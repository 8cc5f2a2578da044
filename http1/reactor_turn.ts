/**
 * Fairness for the listener under load. Deno runs JavaScript and its I/O
 * reactor on one thread, and the reactor looks at sockets only when the event
 * loop runs out of work. A saturated proxy never does: connections whose next
 * request the reactor has not yet seen wait while others are served again and
 * again (measured: p99 0.7 s at 256 connections, with a median of 8 ms). So
 * after `intervalMs` of work, requests wait for one reactor turn: a byte sent
 * through a loopback socket pair comes back only through the reactor, which
 * then sees every ready socket at once. It costs two system calls per
 * interval. Measured at 256 connections (12 s runs, p99): no turns 366-424
 * ms; every 1 ms 37-56; 2 ms 42-81; 3-5 ms 35-47; 10 ms 70-74. Hence 4 ms.
 *
 * @module
 */
import { closeQuietly } from "./response.ts";

const ONE = new Uint8Array([1]);

/**
 * Turns of the reactor, counted across every {@linkcode ReactorTurn}: a
 * turn's byte comes back only through the reactor, which then sees every
 * socket that is ready, so once a turn that started after some moment has
 * completed, every byte that had reached any socket by that moment has been
 * seen. The pool reuses an idle connection only then (see pool.ts).
 */
export const reactorTurns = { started: 0, completed: 0 };

/** Makes callers wait for a reactor turn once `intervalMs` passed since the last one. */
export class ReactorTurn {
  #intervalMs: number;
  #lastTurn = 0;
  #turn: Promise<boolean> | undefined;
  #pair: Promise<[Deno.TcpConn, Deno.TcpConn]> | undefined;
  #sink = new Uint8Array(64);

  constructor(intervalMs = 4) {
    this.#intervalMs = intervalMs;
  }

  /** A promise to await before the next request, or undefined when a turn happened lately. */
  due(): Promise<unknown> | undefined {
    if (Date.now() - this.#lastTurn < this.#intervalMs) return undefined;
    return this.#turn ??= this.#wait().finally(() => {
      this.#turn = undefined;
      this.#lastTurn = Date.now();
    });
  }

  /**
   * Resolves once a turn that started after the count `mark` (a value of
   * `reactorTurns.started`) has completed, here or in another ReactorTurn;
   * joins the turn in flight, and runs another after it when it started too
   * early.
   */
  async after(mark: number): Promise<void> {
    while (reactorTurns.completed <= mark) {
      this.#turn ??= this.#wait().finally(() => {
        this.#turn = undefined;
        this.#lastTurn = Date.now();
      });
      // A broken socket pair cannot prove anything: give up waiting rather than spin.
      if (!await this.#turn) return;
    }
  }

  /** Closes the socket pair. */
  async close(): Promise<void> {
    const pair = this.#pair;
    this.#pair = undefined;
    for (const conn of await pair?.catch(() => []) ?? []) closeQuietly(conn);
  }

  /** One turn; false when the socket pair broke. */
  async #wait(): Promise<boolean> {
    try {
      const [sender, receiver] = await (this.#pair ??= socketPair());
      // The read goes first, so that it cannot complete at once: only the reactor can tell it the byte came.
      const reading = receiver.read(this.#sink);
      const number = ++reactorTurns.started;
      await sender.write(ONE);
      await reading;
      if (number > reactorTurns.completed) reactorTurns.completed = number;
      return true;
    } catch {
      // A broken pair (closed on shutdown) only costs fairness: make a new one next time.
      this.#pair = undefined;
      return false;
    }
  }
}

async function socketPair(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const [sender, receiver] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      listener.accept(),
    ]);
    sender.setNoDelay(true);
    return [sender, receiver];
  } finally {
    listener.close();
  }
}
