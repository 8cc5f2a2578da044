/**
 * Remote mode: the same operations as local mode, done by a FaaSO server
 * through its admin API. A build is merged and rendered here, exactly as in
 * local mode, and uploaded as a tar.gz; an image funko's build sends only the
 * image's reference and settings, and the server's engine finds the image.
 *
 * @module
 */
import { jsonLines } from "../docker/mod.ts";
import type { BuildOptions, BuildResult } from "../core/build.ts";
import type { DeployOptions, DeployResult } from "../core/deploy.ts";
import { FaasoError } from "../core/errors.ts";
import type { FunkoLogLine, FunkoLogsOptions } from "../core/logs.ts";
import type { Progress } from "../core/progress.ts";
import type { RemoveResult } from "../core/remove.ts";
import type { PruneResult } from "../core/builds.ts";
import type { RollbackOptions, RollbackResult } from "../core/rollback.ts";
import type { ScaleResult, StartOptions } from "../core/scale.ts";
import type { FunkoStatus } from "../core/status.ts";
import type { TrafficReport } from "../core/traffic.ts";
import type { CallFilter, CallSummary } from "../core/call_store.ts";
import { checkFunkoName } from "../core/names.ts";
import { VERSION } from "../core/version.ts";
import type { Backend, SecretChange, VersionInfo } from "./backend.ts";
import type { ServerTarget } from "./config.ts";

/** One line of a server's operation stream. */
type OperationLine =
  | { kind: "step" | "output" | "warning"; text: string }
  | { kind: "result"; result: unknown }
  | { kind: "error"; error: { status: number; code: string; message: string; details?: string[] } };

/** Options for one admin API request. */
interface ApiRequest {
  body?: BodyInit | null;
  json?: unknown;
  query?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** The backend that asks a FaaSO server. */
export class RemoteBackend implements Backend {
  readonly where: string;
  readonly proxyUrl: string;
  #target: ServerTarget;
  #warn: (text: string) => void;
  #versionChecked = false;

  constructor(target: ServerTarget, warn: (text: string) => void) {
    this.#target = target;
    this.where = target.url;
    this.proxyUrl = target.url;
    this.#warn = warn;
  }

  async build(folder: string, options: BuildOptions, progress: Progress): Promise<BuildResult> {
    const [{ imageSourceOf, loadBuildFunko, prepareBuild }, { tarFiles }] = await Promise.all([
      import("../core/build_folder.ts"),
      import("../core/archive.ts"),
    ]);
    const funko = await loadBuildFunko(folder, options);
    if (funko.image) {
      // The server's engine resolves (or pulls) the image itself: nothing is uploaded.
      const source = imageSourceOf(funko, options);
      return await this.#operation<BuildResult>("POST", `/funkos/${source.name}/image`, progress, {
        json: {
          image: source.image,
          settings: source.settings,
          pull: options.pull ?? false,
          no_cache: !!options.noCache,
        },
      });
    }
    await using prepared = await prepareBuild(folder, options);
    progress({ kind: "step", text: `Uploading ${prepared.files.length} files to ${this.where}` });
    return await this.#operation<BuildResult>("POST", `/funkos/${prepared.info.name}/build`, progress, {
      body: tarFiles(prepared.files).pipeThrough(new CompressionStream("gzip")),
      query: {
        runtime: prepared.info.runtime,
        settings: JSON.stringify(prepared.info.settings),
        no_cache: options.noCache ? "1" : undefined,
        build_args: options.buildArgs ? JSON.stringify(options.buildArgs) : undefined,
        // Only what was asked for: this machine's FAASO_GITHUB_MIRROR means nothing to the server.
        github_mirror: options.githubMirror,
        build_network: options.network,
      },
    });
  }

  async currentScale(funko: string): Promise<number> {
    return (await (await this.#request("GET", `/funkos/${checkFunkoName(funko)}/scale`)).json()).scale;
  }

  scale(funko: string, target: number, progress: Progress, options: StartOptions = {}): Promise<ScaleResult> {
    return this.#operation("POST", `/funkos/${checkFunkoName(funko)}/scale`, progress, {
      json: { count: target, ...startFields(options) },
    });
  }

  up(funko: string, progress: Progress, options: StartOptions = {}): Promise<ScaleResult> {
    return this.#operation("POST", `/funkos/${checkFunkoName(funko)}/up`, progress, { json: startFields(options) });
  }

  down(funko: string, progress: Progress): Promise<ScaleResult> {
    return this.#operation("POST", `/funkos/${checkFunkoName(funko)}/down`, progress);
  }

  async status(funko?: string): Promise<FunkoStatus[]> {
    const response = await this.#request("GET", funko ? `/funkos/${checkFunkoName(funko)}` : "/funkos");
    const body = await response.json();
    return funko ? [body] : body;
  }

  async logs(funko: string, options: FunkoLogsOptions): Promise<ReadableStream<FunkoLogLine>> {
    const response = await this.#request("GET", `/funkos/${checkFunkoName(funko)}/logs`, {
      query: { follow: options.follow ? "1" : undefined, tail: options.tail?.toString() },
      signal: options.signal,
    });
    return jsonLines<FunkoLogLine>(response.body!);
  }

  remove(funko: string, progress: Progress): Promise<RemoveResult> {
    return this.#operation("DELETE", `/funkos/${checkFunkoName(funko)}`, progress);
  }

  deploy(funko: string, options: DeployOptions, progress: Progress): Promise<DeployResult> {
    return this.#operation("POST", `/funkos/${checkFunkoName(funko)}/deploy`, progress, {
      json: { timeout: (options.timeoutMs ?? 120_000) / 1000, force: options.force ?? false },
    });
  }

  rollback(funko: string, options: RollbackOptions, progress: Progress): Promise<RollbackResult> {
    return this.#operation("POST", `/funkos/${checkFunkoName(funko)}/rollback`, progress, {
      json: { tag: options.tag, timeout: (options.timeoutMs ?? 120_000) / 1000, force: options.force ?? false },
    });
  }

  prune(funko: string | undefined, keep: number | undefined, progress: Progress): Promise<PruneResult[]> {
    return this.#operation("POST", "/prune", progress, {
      json: { funko: funko === undefined ? undefined : checkFunkoName(funko), keep },
    });
  }

  async addSecret(funko: string, name: string, value: Uint8Array): Promise<SecretChange> {
    const response = await this.#request(
      "PUT",
      `/funkos/${checkFunkoName(funko)}/secrets/${encodeURIComponent(name)}`,
      { body: value as Uint8Array<ArrayBuffer> },
    );
    return this.#secretChange(await response.json());
  }

  async removeSecret(funko: string, name: string): Promise<SecretChange> {
    const response = await this.#request(
      "DELETE",
      `/funkos/${checkFunkoName(funko)}/secrets/${encodeURIComponent(name)}`,
    );
    return this.#secretChange(await response.json());
  }

  secretStore(): Promise<string> {
    return Promise.resolve(`the server ${this.where}`);
  }

  async listSecrets(funko?: string): Promise<Record<string, string[]>> {
    if (!funko) return await (await this.#request("GET", "/secrets")).json();
    const body = await (await this.#request("GET", `/funkos/${checkFunkoName(funko)}/secrets`)).json();
    return { [funko]: body.names };
  }

  async listCalls(filter: CallFilter): Promise<CallSummary[]> {
    const query = { funko: filter.funko, state: filter.states?.join(","), limit: filter.limit?.toString() };
    return await (await this.#request("GET", "/calls", { query })).json();
  }

  async retryCall(id: string): Promise<CallSummary> {
    return await (await this.#request("POST", `/calls/${encodeURIComponent(id)}/retry`)).json();
  }

  async removeCall(id: string): Promise<CallSummary> {
    return await (await this.#request("DELETE", `/calls/${encodeURIComponent(id)}`)).json();
  }

  async version(): Promise<VersionInfo> {
    return await (await this.#request("GET", "/version")).json();
  }

  async traffic(windowSeconds: number): Promise<TrafficReport | undefined> {
    try {
      return await (await this.#request("GET", "/stats", { query: { window: String(windowSeconds) } })).json();
    } catch (error) {
      if (error instanceof FaasoError && error.code === "metrics_off") return undefined;
      throw error;
    }
  }

  close(): void {}

  #secretChange(body: { note: string; store?: string }): SecretChange {
    // A server older than this client does not say which store it used.
    return { note: body.note, store: body.store ? `${body.store} ${this.where}` : `the server ${this.where}` };
  }

  async #request(method: string, path: string, request: ApiRequest = {}): Promise<Response> {
    const url = new URL(`${this.#target.url}/admin/api${path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const headers = new Headers();
    if (this.#target.token) headers.set("authorization", `Bearer ${this.#target.token}`);
    let body = request.body;
    if (request.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(request.json);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: request.signal });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      throw new FaasoError(
        `Cannot reach the FaaSO server at ${this.where}: ${(error as Error).message.split("\n")[0]}. ` +
          "Is faaso serve running there, and is FAASO_SERVER (or your faaso login) right? Use -l to work locally",
        { status: 503, code: "server_unreachable", cause: error },
      );
    }
    this.#checkVersion(response);
    if (!response.ok) throw await serverError(response, this.where, this.#target.token !== undefined);
    return response;
  }

  async #operation<T>(method: string, path: string, progress: Progress, request: ApiRequest = {}): Promise<T> {
    const response = await this.#request(method, path, request);
    for await (const line of jsonLines<OperationLine>(response.body!)) {
      if (line.kind === "result") return line.result as T;
      if (line.kind === "error") {
        throw new FaasoError(line.error.message, {
          status: line.error.status,
          code: line.error.code,
          details: line.error.details,
        });
      }
      progress(line);
    }
    throw new FaasoError(`The FaaSO server at ${this.where} ended the answer before saying how it went`);
  }

  #checkVersion(response: Response): void {
    const version = response.headers.get("x-faaso-version");
    if (this.#versionChecked || !version) return;
    this.#versionChecked = true;
    if (version !== VERSION) this.#warn(`this faaso is ${VERSION}, the server at ${this.where} is ${version}`);
  }
}

/** Up and scale options as the admin API takes them (seconds). */
function startFields(options: StartOptions): { timeout?: number; wait?: boolean } {
  return {
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs / 1000 }),
    ...(options.wait === undefined ? {} : { wait: options.wait }),
  };
}

async function serverError(response: Response, where: string, hadToken: boolean): Promise<FaasoError> {
  const text = await response.text();
  let message = text.trim() || response.statusText;
  let code = "server_error";
  try {
    const body = JSON.parse(text) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = body.error.message;
    if (body.error?.code) code = body.error.code;
  } catch {
    // Not JSON: keep the text.
  }
  if (response.status === 401) {
    // The server's own message tells API users how to log in; the CLI says it its way, once.
    const why = hadToken ? "the token is wrong or expired" : "no token";
    message = `Not logged in to ${where} (${why}): run faaso login --server ${where}`;
  }
  return new FaasoError(message, { status: response.status, code });
}
