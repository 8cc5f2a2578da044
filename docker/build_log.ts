/**
 * What the classic builder's output says about a build: its steps, the output
 * of each, the image each step committed (new, or taken from the cache) and
 * the stages of a multi-stage Dockerfile. The engine reports only the last
 * error line; this is what lets a caller show the failing step's own output,
 * tag or remove the images a build made, and find its stages.
 *
 * The classic builder (API `/build` without BuildKit) writes, per step:
 * `Step 3/9 : RUN npm ci`, then ` ---> Running in CONTAINER` (or
 * ` ---> Using cache`), the step's output, `Removing intermediate container
 * CONTAINER`, and ` ---> IMAGE` (the image the step committed).
 *
 * @module
 */

import { stripVTControlCharacters } from "node:util";

/** One Dockerfile instruction as the build ran it. */
export interface BuildStep {
  /** Its number, from 1. */
  number: number;
  /** How many steps the build has. */
  total: number;
  /** The instruction as the engine printed it: `RUN npm ci`. */
  instruction: string;
  /** What the step printed (its command's output, without colour codes), without the builder's own lines. */
  output: string[];
  /** The image the step ended with (a short ID), once known. */
  image?: string;
  /** True when the image came from the layer cache. */
  cached: boolean;
}

/** A stage of a (multi-stage) Dockerfile: from a `FROM` to the next. */
export interface BuildStage {
  /** Its name (`FROM x AS build`), or `stageN` (N from 0) when it has none. */
  name: string;
  /** The image its `FROM` named (short ID), once known. */
  base?: string;
  /** The image its last step committed (short ID), once known. */
  image?: string;
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const IMAGE = /^ ---> ([0-9a-f]{12,64})$/;
const FROM = /^FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?\s*$/i;
const BUILDER_LINE = /^( ---> (Running in|Using cache)|Removing intermediate container |Successfully (built|tagged) )/;

/**
 * Follows a classic build's output, one line at a time ({@linkcode BuildLog.line}).
 *
 * @example
 * ```ts
 * const log = new BuildLog();
 * for (const line of lines) log.line(line);
 * log.failingStep()?.output; // what the step that failed printed
 * ```
 */
export class BuildLog {
  /** Every step seen, in order. */
  readonly steps: BuildStep[] = [];
  /** Every stage seen, in order; the last is the image built. */
  readonly stages: BuildStage[] = [];
  #step: BuildStep | undefined;

  /** Takes one line of build output (without its newline); colour codes are dropped. */
  line(line: string): void {
    const text = stripVTControlCharacters(line);
    const step = STEP.exec(text);
    if (step) {
      this.#step = {
        number: Number(step[1]),
        total: Number(step[2]),
        instruction: step[3]!.trim(),
        output: [],
        cached: false,
      };
      this.steps.push(this.#step);
      const from = FROM.exec(this.#step.instruction);
      if (from) this.stages.push({ name: from[1]?.toLowerCase() ?? `stage${this.stages.length}` });
      return;
    }
    const current = this.#step;
    if (!current) return;
    const image = IMAGE.exec(text);
    if (image) {
      current.image = image[1];
      const stage = this.stages.at(-1);
      if (stage) {
        if (FROM.test(current.instruction)) stage.base = image[1];
        stage.image = image[1];
      }
      return;
    }
    if (text === " ---> Using cache") current.cached = true;
    if (BUILDER_LINE.test(text)) return;
    current.output.push(text);
  }

  /** The step that ran last: the failing one when the build failed. */
  failingStep(): BuildStep | undefined {
    return this.steps.at(-1);
  }

  /**
   * Images this build committed itself (not from the cache, not a `FROM`
   * base), in order: what a failed build should remove again.
   */
  newImages(): string[] {
    return this.steps.filter((step) => step.image && !step.cached && !FROM.test(step.instruction))
      .map((step) => step.image!);
  }

  /**
   * The stages before the last that made an image of their own (not merely
   * a `FROM` of another image): the build stages a multi-stage build leaves
   * untagged.
   */
  buildStages(): BuildStage[] {
    return this.stages.slice(0, -1).filter((stage) => stage.image && stage.image !== stage.base);
  }
}
