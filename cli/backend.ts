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
import { DataFolder } from "../core/data_folder.ts";
import { deploy, type DeployOptions, type DeployResult } from "../core/deploy.ts";
import { FaasoError } from "../core/errors.ts";
import { FunkoName } from "../core/funko.ts";
import { type HostPathResolver, hostPathResolver } from "../core/host_paths.ts";
import { secretChangeNote, SecretStore } from "../core/secrets.ts";

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
  /** Rolls a funko onto its newest image with no request lost. */
  deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult>;
  /** Stores a secret; returns what the change means for running instances. */
  addSecret(funko: string, name: string, value: Uint8Array): Promise<string>;
  /** Removes a secret; returns what the change means for running instances. */
  removeSecret(funko: string, name: string): Promise<string>;
  /** Secret names, of one funko or of all. */
  listSecrets(funko?: string): Promise<Record<string, string[]>>;
  /** Versions where the work is done. */
  version(): Promise<VersionInfo>;
  /** Releases connections. */
  close(): void;
}

/** The backend that does the work on this machine, through the local engine. */
export class LocalBackend implements Backend {
  readonly where = "this machine";
  #deps: LifecycleDeps;
  #secrets: SecretStore;

  constructor(docker: Docker = Docker.fromEnv(), data: DataFolder = DataFolder.fromEnv()) {
    this.#secrets = new SecretStore(data);
    let hostPath: Promise<HostPathResolver> | undefined;
    const instances = new ContainerInstances(docker, {
      secretsFolder: async (funko) =>
        (await (hostPath ??= hostPathResolver(docker)))(await this.#secrets.folderOf(funko)),
    });
    this.#deps = { docker, instances };
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

  deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult> {
    return deploy(this.#deps, funko, options, progress);
  }

  async addSecret(funko: string, name: string, value: Uint8Array): Promise<string> {
    await this.#secrets.add(checkedName(funko), name, value);
    return secretChangeNote(funko);
  }

  async removeSecret(funko: string, name: string): Promise<string> {
    await this.#secrets.remove(checkedName(funko), name);
    return secretChangeNote(funko);
  }

  async listSecrets(funko?: string): Promise<Record<string, string[]>> {
    if (!funko) return await this.#secrets.listAll();
    return { [funko]: await this.#secrets.list(checkedName(funko)) };
  }

  async version(): Promise<VersionInfo> {
    const engine = await this.#deps.docker.system.version();
    return { faaso: VERSION, engine: engine.Version, api: engine.ApiVersion };
  }

  close(): void {
    this.#deps.docker.close();
  }
}

function checkedName(funko: string): string {
  const parsed = FunkoName.safeParse(funko);
  if (!parsed.success) throw new FaasoError(`${funko}: not a funko name: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
