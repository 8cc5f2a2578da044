/**
 * One engine operation per funko at a time: the sleeper's pause, stop and
 * wake, and the autoscaler's steps, each waits for the one before it, so that
 * a wake never races a pause half-done nor a scale-down a wake.
 *
 * @module
 */

/** Runs operations one after another per funko. */
export class FunkoOps {
  #last = new Map<string, Promise<unknown>>();

  /** Whether an operation on the funko is running or waiting. */
  busy(funko: string): boolean {
    return this.#last.has(funko);
  }

  /** Runs `work` once the funko's earlier operations have settled; settles with it. */
  run<T>(funko: string, work: () => Promise<T>): Promise<T> {
    const before = this.#last.get(funko) ?? Promise.resolve();
    const result = before.then(work, work);
    const settled = result.then(() => {}, () => {});
    this.#last.set(funko, settled);
    settled.then(() => {
      if (this.#last.get(funko) === settled) this.#last.delete(funko);
    });
    return result;
  }

  /** Settles when every operation asked for so far has (for a clean stop). */
  async drained(): Promise<void> {
    await Promise.all([...this.#last.values()]);
  }
}
