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
import type { PruneResult } from "../core/builds.ts";
import type { DataFolder } from "../core/data_folder.ts";
import type { DeployOptions, DeployResult } from "../core/deploy.ts";
import { ContainerInstances } from "../core/container_instances.ts";
import type { FunkoLogLine, FunkoLogsOptions } from "../core/logs.ts";
import { checkFunkoName } from "../core/names.ts";
import type { Progress } from "../core/progress.ts";
import type { RemoveResult } from "../core/remove.ts";
import type { RollbackOptions, RollbackResult } from "../core/rollback.ts";
import type { LifecycleDeps, ScaleResult, StartOptions } from "../core/scale.ts";
import type { SecretBackend, SecretStore } from "../core/secrets.ts";
import type { SleepResult } from "../core/sleep.ts";
import type { SleepStates } from "../core/sleep_state.ts";
import type { SwarmSetting } from "../core/swarm/mode.ts";
import type { FunkoStatus } from "../core/status.ts";
import type { TrafficReport } from "../core/traffic.ts";
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

/** What a change to a secret did, and what it means for running instances. */
export interface SecretChange {
  /** The store changed: "this machine's data folder PATH", "the server URL". */
  store: string;
  /** What it means for running instances. */
  note: string;
}

/** The operations behind the CLI's commands. */
export interface Backend {
  /** "this machine", or the server's URL. */
  readonly where: string;
  /** The proxy funkos are reached through: the server's URL, or the local faaso serve's. */
  readonly proxyUrl: string;
  /**
   * Builds the funko in a local folder. A mirror or network left unset in
   * `options` is the setting of the machine that builds: this one's
   * environment, or the server's own.
   */
  build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult>;
  /** Running instances of a funko. */
  currentScale(funko: string): Promise<number>;
  /** Brings a funko to `target` running instances, waiting for new ones. */
  scale(funko: string, target: number, progress: Progress, options?: StartOptions): Promise<ScaleResult>;
  /** At least one running instance, waiting for new ones. */
  up(funko: string, progress: Progress, options?: StartOptions): Promise<ScaleResult>;
  /** No instances. */
  down(funko: string, progress: Progress): Promise<ScaleResult>;
  /** Puts a funko to sleep: paused, or with `stop` stopped. */
  sleep(funko: string, options: { stop?: boolean }, progress: Progress): Promise<SleepResult>;
  /** Wakes a sleeping funko and waits until an instance answers. */
  wake(funko: string, progress: Progress): Promise<SleepResult>;
  /** The state of all funkos, or of one. */
  status(funko?: string): Promise<FunkoStatus[]>;
  /** The merged output of a funko's instances. */
  logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>>;
  /** Removes a funko's instances, images and secrets. */
  remove(funko: string, progress: Progress): Promise<RemoveResult>;
  /** Rolls a funko onto its newest image with no request lost. */
  deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult>;
  /** Deploys an earlier build of a funko the same way. */
  rollback(funko: string, options: RollbackOptions, progress: Progress): Promise<RollbackResult>;
  /** Removes builds beyond the newest `keep` (default: the configured number), of one funko or of all. */
  prune(funko: string | undefined, keep: number | undefined, progress: Progress): Promise<PruneResult[]>;
  /** Stores a secret. */
  addSecret(funko: string, name: string, value: Uint8Array): Promise<SecretChange>;
  /** Removes a secret. */
  removeSecret(funko: string, name: string): Promise<SecretChange>;
  /** Secret names, of one funko or of all. */
  listSecrets(funko?: string): Promise<Record<string, string[]>>;
  /** Where secrets are kept: "this machine's data folder PATH", "the server URL". */
  secretStore(): Promise<string>;
  /** Async calls, newest first. */
  listCalls(filter: CallFilter): Promise<CallSummary[]>;
  /** Queues a failed async call again. */
  retryCall(id: string): Promise<CallSummary>;
  /** Forgets an async call. */
  removeCall(id: string): Promise<CallSummary>;
  /** Versions where the work is done. */
  version(): Promise<VersionInfo>;
  /**
   * Every funko's traffic over the last `windowSeconds`, as the server
   * counted it; undefined when no server answers (local mode without a
   * running `faaso serve`) or its metrics are off.
   */
  traffic(windowSeconds: number): Promise<TrafficReport | undefined>;
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
  #data: Promise<DataFolder> | undefined;
  #calls: CallStore | undefined;

  constructor(docker: Docker = Docker.fromEnv(), options: LocalBackendOptions = {}) {
    this.#docker = docker;
    this.#options = options;
  }

  async build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult> {
    const [{ buildFunko }, { buildSettingsFromEnv, withDefaults }] = await Promise.all([
      import("../core/build_folder.ts"),
      import("../core/build_settings.ts"),
    ]);
    const settings = withDefaults(options, buildSettingsFromEnv());
    const keepBuilds = options.keepBuilds ?? await (await this.#dataFolder()).keepBuilds();
    return await buildFunko(await this.#deps(), folder, { ...options, ...settings, keepBuilds }, progress);
  }

  async currentScale(funko: string): Promise<number> {
    return (await import("../core/scale.ts")).currentScale(await this.#deps(), funko);
  }

  async scale(funko: string, target: number, progress: Progress, options?: StartOptions): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).scale(await this.#deps(), funko, target, progress, options);
  }

  async up(funko: string, progress: Progress, options?: StartOptions): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).up(await this.#deps(), funko, progress, options);
  }

  async down(funko: string, progress: Progress): Promise<ScaleResult> {
    return await (await import("../core/scale.ts")).down(await this.#deps(), funko, progress);
  }

  async sleep(funko: string, options: { stop?: boolean }, progress: Progress): Promise<SleepResult> {
    const { sleepFunko } = await import("../core/sleep.ts");
    return await sleepFunko(await this.#deps(), await this.#sleepStates(), checkFunkoName(funko), options, progress);
  }

  async wake(funko: string, progress: Progress): Promise<SleepResult> {
    const { wakeFunko } = await import("../core/sleep.ts");
    return await wakeFunko(await this.#deps(), await this.#sleepStates(), checkFunkoName(funko), undefined, progress);
  }

  async status(funko?: string): Promise<FunkoStatus[]> {
    // The modules and the sleep records load while the engine answers (they do not depend on it).
    const core = import("../core/status.ts");
    const [{ engineActivity }, funkos, sleeping, { autoscales }, { withInvocations }] = await Promise.all([
      core,
      core.then(async ({ status }) => status(await this.#deps(), funko)),
      // Only a faaso serve sees requests: here the engine says whether instances are paused or stopped.
      this.#sleepStates(),
      import("../core/scaling.ts"),
      import("../core/calls.ts"),
    ]);
    const scaled = funkos.some((f) => f.settings.scale.min === 0 || autoscales(f.settings));
    const watched = scaled ? await proxyAnswers(this.proxyUrl) : undefined;
    const withActivity = funkos.map((f) => ({
      ...f,
      activity: {
        ...engineActivity(f.instances.filter((i) => !i.spare), sleeping.get(f.name)),
        ...(watched === undefined ? {} : { watched }),
      },
    }));
    // Schedules and calls are the server's (the same data folder): shown when its store exists.
    return await withInvocations(withActivity, await this.#callStore(false));
  }

  async logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>> {
    return await (await import("../core/logs.ts")).funkoLogs(await this.#deps(), funko, options);
  }

  async remove(funko: string, progress: Progress): Promise<RemoveResult> {
    const { removeFunko } = await import("../core/remove.ts");
    return await removeFunko(await this.#deps(), checkFunkoName(funko), progress, await this.#secretStore());
  }

  async deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult> {
    return await (await import("../core/deploy.ts")).deploy(await this.#deps(), funko, options, progress);
  }

  async rollback(funko: string, options: RollbackOptions, progress: Progress): Promise<RollbackResult> {
    return await (await import("../core/rollback.ts")).rollback(
      await this.#deps(),
      checkFunkoName(funko),
      options,
      progress,
    );
  }

  async prune(funko: string | undefined, keep: number | undefined, progress: Progress): Promise<PruneResult[]> {
    const { pruneAll, pruneBuilds } = await import("../core/builds.ts");
    const count = keep ?? await (await this.#dataFolder()).keepBuilds();
    if (funko === undefined) return await pruneAll(await this.#deps(), count, progress);
    return [await pruneBuilds(await this.#deps(), checkFunkoName(funko), count, progress)];
  }

  async addSecret(funko: string, name: string, value: Uint8Array): Promise<SecretChange> {
    const store = await this.#secretStore();
    await store.add(checkFunkoName(funko), name, value);
    return await this.#secretChange(funko);
  }

  async removeSecret(funko: string, name: string): Promise<SecretChange> {
    await (await this.#secretStore()).remove(checkFunkoName(funko), name);
    return await this.#secretChange(funko);
  }

  async listSecrets(funko?: string): Promise<Record<string, string[]>> {
    const secrets = await this.#secretStore();
    if (!funko) return await secrets.listAll();
    return { [funko]: await secrets.list(checkFunkoName(funko)) };
  }

  async secretStore(): Promise<string> {
    const where = (await this.#secretStore()).where;
    return where ?? `this machine's data folder ${(await this.#dataFolder()).root}`;
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

  /** Asks the `faaso serve` that runs with this machine's data folder, if one answers within 2 s. */
  async traffic(windowSeconds: number): Promise<TrafficReport | undefined> {
    const [{ DataFolder }, { localServer }] = await Promise.all([
      import("../core/data_folder.ts"),
      import("../core/local_server.ts"),
    ]);
    const server = await localServer(DataFolder.fromEnv());
    if (!server) return undefined;
    try {
      const response = await fetch(`${server.url}/admin/api/stats?window=${windowSeconds}`, {
        headers: { authorization: `Bearer ${server.token}` },
        signal: AbortSignal.timeout(2000),
      });
      if (!response.ok) {
        await response.body?.cancel();
        return undefined;
      }
      return await response.json() as TrafficReport;
    } catch {
      // Not running any more (it left serve.json behind), or busy beyond patience: no figures.
      return undefined;
    }
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
      const instances = new ContainerInstances(docker, {
        secretsFolder: async (funko) => await (await this.#fileSecrets()).hostFolderOf(funko),
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

  async #sleepStates(): Promise<SleepStates> {
    const { SleepStates } = await import("../core/sleep_state.ts");
    return SleepStates.open(await this.#dataFolder());
  }

  async #secretChange(funko: string): Promise<SecretChange> {
    const store = await this.#secretStore();
    return { store: await this.secretStore(), note: await store.changeNote(await this.#deps(), funko) };
  }

  #dataFolder(): Promise<DataFolder> {
    return this.#data ??= import("../core/data_folder.ts").then(({ DataFolder }) => DataFolder.fromEnv());
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
    return this.#files ??= Promise.all([
      import("../core/secrets.ts"),
      import("../core/host_paths.ts"),
      this.#dataFolder(),
    ]).then(([{ SecretStore }, { hostPathResolver }, data]) => {
      // Whether FaaSO runs in a container (and so where the data folder is on the host) is asked only when needed.
      let resolver: ReturnType<typeof hostPathResolver> | undefined;
      const docker = this.#docker;
      return new SecretStore(data, { hostPath: async (path) => (await (resolver ??= hostPathResolver(docker)))(path) });
    });
  }
}

/** Whether a faaso serve answers at `url` (its /ping), within half a second. */
async function proxyAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(500) });
    return response.ok && (await response.text()) === "OK";
  } catch {
    return false;
  }
}
