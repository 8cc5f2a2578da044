/**
 * What the CLI asks for, whether this machine does it (local mode) or a FaaSO
 * server does (remote mode). Commands talk to a {@linkcode Backend} and never
 * know which.
 *
 * Each operation loads the core modules it needs when it runs: `faaso status`
 * need not load the template engine, YAML or the build code.
 *
 * @module
 */
import { Docker } from "../docker/mod.ts";
import type { BuildOptions, BuildResult } from "../core/build.ts";
import type { DeployOptions, DeployResult } from "../core/deploy.ts";
import type { HostPathResolver } from "../core/host_paths.ts";
import { ContainerInstances } from "../core/instances.ts";
import type { FunkoLogLine, FunkoLogsOptions } from "../core/logs.ts";
import { checkFunkoName } from "../core/names.ts";
import type { Progress } from "../core/progress.ts";
import type { RemoveResult } from "../core/remove.ts";
import type { LifecycleDeps, ScaleResult } from "../core/scale.ts";
import type { SecretBackend, SecretStore } from "../core/secrets.ts";
import type { SwarmSetting } from "../core/swarm/mode.ts";
import type { FunkoStatus } from "../core/status.ts";
import type { CallFilter, CallStore, CallSummary } from "../core/call_store.ts";
import { VERSION } from "../core/version.ts";
import { localProxyUrl } from "./urls.ts";

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
  /** The proxy funkos are reached through: the server's URL, or the local faaso serve's. */
  readonly proxyUrl: string;
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
  /** Async calls, newest first. */
  listCalls(filter: CallFilter): Promise<CallSummary[]>;
  /** Queues a failed async call again. */
  retryCall(id: string): Promise<CallSummary>;
  /** Forgets an async call. */
  removeCall(id: string): Promise<CallSummary>;
  /** Versions where the work is done. */
  version(): Promise<VersionInfo>;
  /** Releases connections. */
  close(): void;
}

/** Options for {@linkcode LocalBackend}. */
export interface LocalBackendOptions {
  /** Swarm mode and registry; default FAASO_SWARM (auto) and FAASO_REGISTRY. */
  swarm?: { setting: SwarmSetting; registry?: string };
}

/**
 * The backend that does the work on this machine, through the local engine:
 * containers, or swarm services when the engine is a swarm manager (decided
 * on first use, with one cheap engine call; FAASO_SWARM=off skips it).
 */
export class LocalBackend implements Backend {
  readonly where = "this machine";
  readonly proxyUrl = localProxyUrl();
  #docker: Docker;
  #options: LocalBackendOptions;
  #lifecycle: Promise<LifecycleDeps> | undefined;
  #secrets: Promise<SecretBackend> | undefined;
  #files: Promise<SecretStore> | undefined;
  #calls: CallStore | undefined;

  constructor(docker: Docker = Docker.fromEnv(), options: LocalBackendOptions = {}) {
    this.#docker = docker;
    this.#options = options;
  }

  async build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult> {
    const { buildFunko } = await import("../core/build_folder.ts");
    const registry = (await this.#deps()).registry;
    return await buildFunko(this.#docker, folder, { ...options, ...(registry ? { registry } : {}) }, progress);
  }

  async currentScale(funko: string): Promise<number> {
    return (await import("../core/scale.ts")).currentScale(await this.#deps(), funko);
  }

  async scale(funko: string, target: number, progress: Progress): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).scale(await this.#deps(), funko, target, progress);
  }

  async up(funko: string, progress: Progress): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).up(await this.#deps(), funko, progress);
  }

  async down(funko: string, progress: Progress): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).down(await this.#deps(), funko, progress);
  }

  async status(funko?: string): Promise<FunkoStatus[]> {
    const funkos = await (await import("../core/status.ts")).status(await this.#deps(), funko);
    // Schedules and calls are the server's (the same data folder): shown when its store exists.
    return await (await import("../core/calls.ts")).withInvocations(funkos, await this.#callStore(false));
  }

  async logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>> {
    return await (await import("../core/logs.ts")).funkoLogs(await this.#deps(), funko, options);
  }

  async remove(funko: string, progress: Progress): Promise<RemoveResult> {
    return await (await import("../core/remove.ts")).removeFunko(await this.#deps(), funko, progress);
  }

  async deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult> {
    return await (await import("../core/deploy.ts")).deploy(await this.#deps(), funko, options, progress);
  }

  async addSecret(funko: string, name: string, value: Uint8Array): Promise<string> {
    const secrets = await this.#secretStore();
    await secrets.add(checkFunkoName(funko), name, value);
    return await secrets.changeNote(funko);
  }

  async removeSecret(funko: string, name: string): Promise<string> {
    const secrets = await this.#secretStore();
    await secrets.remove(checkFunkoName(funko), name);
    return await secrets.changeNote(funko);
  }

  async listSecrets(funko?: string): Promise<Record<string, string[]>> {
    const secrets = await this.#secretStore();
    if (!funko) return await secrets.listAll();
    return { [funko]: await secrets.list(checkFunkoName(funko)) };
  }

  async listCalls(filter: CallFilter): Promise<CallSummary[]> {
    return await (await import("../core/calls.ts")).listCalls((await this.#callStore(true))!, filter);
  }

  async retryCall(id: string): Promise<CallSummary> {
    return await (await import("../core/calls.ts")).retryCall((await this.#callStore(true))!, id);
  }

  async removeCall(id: string): Promise<CallSummary> {
    return await (await import("../core/calls.ts")).removeCall((await this.#callStore(true))!, id);
  }

  async version(): Promise<VersionInfo> {
    const engine = await this.#docker.system.version();
    return { faaso: VERSION, engine: engine.Version, api: engine.ApiVersion };
  }

  close(): void {
    this.#docker.close();
    this.#calls?.close();
  }

  /** The lifecycle core's dependencies: containers, or swarm tasks when the engine manages a swarm. */
  #deps(): Promise<LifecycleDeps> {
    this.#lifecycle ??= (async (): Promise<LifecycleDeps> => {
      const docker = this.#docker;
      const { detectSwarm, swarmSettingsFromEnv } = await import("../core/swarm/mode.ts");
      const swarm = await detectSwarm(docker, this.#options.swarm ?? swarmSettingsFromEnv());
      if (swarm) {
        const { SwarmInstances } = await import("../core/swarm/instances.ts");
        return { docker, instances: new SwarmInstances(docker, swarm), registry: swarm.registry };
      }
      let hostPath: Promise<HostPathResolver> | undefined;
      const instances = new ContainerInstances(docker, {
        secretsFolder: async (funko) => {
          hostPath ??= import("../core/host_paths.ts").then((m) => m.hostPathResolver(docker));
          return (await hostPath)(await (await this.#fileSecrets()).folderOf(funko));
        },
      });
      return { docker, instances };
    })();
    // An engine that did not answer may answer the next call.
    this.#lifecycle.catch(() => this.#lifecycle = undefined);
    return this.#lifecycle;
  }

  /** The data folder's call store; without `create`, null when there is none yet. */
  async #callStore(create: boolean): Promise<CallStore | null> {
    if (this.#calls) return this.#calls;
    const [{ DataFolder }, { SqliteCallStore, CALLS_FILE }] = await Promise.all([
      import("../core/data_folder.ts"),
      import("../core/sqlite_call_store.ts"),
    ]);
    const root = DataFolder.fromEnv().root;
    if (!create && !await Deno.stat(`${root}/${CALLS_FILE}`).then(() => true, () => false)) return null;
    return this.#calls = SqliteCallStore.inFolder(root);
  }

  /** Swarm secrets in swarm mode, else the data folder's. */
  #secretStore(): Promise<SecretBackend> {
    return this.#secrets ??= this.#deps().then(async ({ instances }) => {
      const { SwarmInstances, SwarmSecretStore } = await import("../core/swarm/mod.ts");
      if (instances instanceof SwarmInstances) return new SwarmSecretStore(instances.service);
      return await this.#fileSecrets();
    }).catch((error) => {
      this.#secrets = undefined;
      throw error;
    });
  }

  #fileSecrets(): Promise<SecretStore> {
    return this.#files ??= Promise.all([import("../core/secrets.ts"), import("../core/data_folder.ts")])
      .then(([{ SecretStore }, { DataFolder }]) => new SecretStore(DataFolder.fromEnv()));
  }
}
