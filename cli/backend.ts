/**
 * What the CLI asks for, whether this machine does it (local mode) or a FaaSO
 * server does (remote mode). Commands talk to a {@linkcode Backend} and never
 * know which.
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import { buildFunko, type BuildOptions, type BuildResult } from "../core/build.ts";
import { ContainerInstances } from "../core/instances.ts";
import { type FunkoLogLine, funkoLogs, type FunkoLogsOptions } from "../core/logs.ts";
import type { Progress } from "../core/progress.ts";
import { removeFunko, type RemoveResult } from "../core/remove.ts";
import { currentScale, down, type LifecycleDeps, scale, type ScaleResult, up } from "../core/scale.ts";
import { type FunkoStatus, status } from "../core/status.ts";
import { VERSION } from "../core/version.ts";

/** Versions of both ends. */
export interface VersionInfo {
  /** FaaSO's version where the work is done. */
  faaso: string;
  /** The Docker engine's version. */
  engine: string;
  /** The Engine API version it speaks. */
  api: string;
}

/** The operations behind the CLI's commands. */
export interface Backend {
  /** "this machine", or the server's URL. */
  readonly where: string;
  /** Builds the funko in a local folder. */
  build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult>;
  /** Running instances of a funko. */
  currentScale(funko: string): Promise<number>;
  /** Brings a funko to `target` running instances. */
  scale(funko: string, target: number, progress: Progress): Promise<ScaleResult>;
  /** At least one running instance. */
  up(funko: string, progress: Progress): Promise<ScaleResult>;
  /** No instances. */
  down(funko: string, progress: Progress): Promise<ScaleResult>;
  /** The state of all funkos, or of one. */
  status(funko?: string): Promise<FunkoStatus[]>;
  /** The merged output of a funko's instances. */
  logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>>;
  /** Removes a funko's instances and images. */
  remove(funko: string, progress: Progress): Promise<RemoveResult>;
  /** Versions where the work is done. */
  version(): Promise<VersionInfo>;
  /** Releases connections. */
  close(): void;
}

/** The backend that does the work on this machine, through the local engine. */
export class LocalBackend implements Backend {
  readonly where = "this machine";
  #deps: LifecycleDeps;

  constructor(docker: Docker = Docker.fromEnv()) {
    this.#deps = { docker, instances: new ContainerInstances(docker) };
  }

  build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult> {
    return buildFunko(this.#deps.docker, folder, options, progress);
  }

  currentScale(funko: string): Promise<number> {
    return currentScale(this.#deps, funko);
  }

  scale(funko: string, target: number, progress: Progress): Promise<ScaleResult> {
    return scale(this.#deps, funko, target, progress);
  }

  up(funko: string, progress: Progress): Promise<ScaleResult> {
    return up(this.#deps, funko, progress);
  }

  down(funko: string, progress: Progress): Promise<ScaleResult> {
    return down(this.#deps, funko, progress);
  }

  status(funko?: string): Promise<FunkoStatus[]> {
    return status(this.#deps, funko);
  }

  logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>> {
    return funkoLogs(this.#deps, funko, options);
  }

  remove(funko: string, progress: Progress): Promise<RemoveResult> {
    return removeFunko(this.#deps, funko, progress);
  }

  async version(): Promise<VersionInfo> {
    const engine = await this.#deps.docker.system.version();
    return { faaso: VERSION, engine: engine.Version, api: engine.ApiVersion };
  }

  close(): void {
    this.#deps.docker.close();
  }
}
