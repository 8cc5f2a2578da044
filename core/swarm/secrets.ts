/**
 * Funko secrets as Swarm secrets (kept encrypted in the managers' Raft log,
 * sent only to nodes that run a task needing them), mounted at
 * `/secrets/NAME` as in single-host mode. Swarm secrets cannot change: a new
 * value is a new secret version (`faaso-FUNKO-NAME-VERSION`, labelled
 * `faaso.funko`, `faaso.secret`), rolled out by a service update; older
 * versions are removed once no task needs them.
 *
 * @module
 */
import { DockerApiError, MAX_SWARM_SECRET_BYTES } from "../../docker/mod.ts";
import { FaasoError, notFound } from "../errors.ts";
import { checkFunkoName, LABELS } from "../names.ts";
import { silent } from "../progress.ts";
import type { LifecycleDeps } from "../scale.ts";
import { checkSecretName, type SecretBackend, SECRETS_MOUNT } from "../secrets.ts";
import { rollOut } from "./rollout.ts";
import { newestVersions, SECRET_LABEL, secretReferences, secretVersionName } from "./secret_versions.ts";
import type { SwarmService } from "./service.ts";
import { serviceName } from "./spec.ts";

/** How long a secret's rollout may take. */
const ROLLOUT_TIMEOUT_MS = 180_000;

/** Funko secrets kept by the swarm. */
export class SwarmSecretStore implements SecretBackend {
  readonly where = "the swarm (Swarm secrets, in the managers' Raft log)";
  #swarm: SwarmService;

  constructor(swarm: SwarmService) {
    this.#swarm = swarm;
  }

  /** Stores a new version of the secret and rolls it out to the funko's running tasks. */
  async add(funko: string, name: string, value: Uint8Array): Promise<void> {
    checkFunkoName(funko);
    checkSecretName(name);
    if (value.length === 0) throw new FaasoError(`Cannot store the secret ${name}: the value is empty`);
    if (value.length > MAX_SWARM_SECRET_BYTES) {
      throw new FaasoError(
        `Cannot store the secret ${name}: a Swarm secret holds less than 500 KiB (this one has ${value.length} bytes)`,
        { status: 413 },
      );
    }
    const docker = this.#swarm.docker;
    const version = Date.now().toString(36);
    const id = await docker.secrets.create({
      Name: await secretVersionName(funko, name, version),
      Labels: { [LABELS.funko]: funko, [SECRET_LABEL]: name, [`${SECRET_LABEL}-version`]: version },
      value,
    });
    try {
      await this.#rollOut(funko, `the new value of ${name}`);
    } catch (error) {
      // The service went back to the previous version: this one is of no use to anyone.
      await docker.secrets.remove(id).catch(() => {});
      throw error;
    }
    await this.#prune(funko, name, id);
  }

  /** The names of a funko's secrets, sorted. */
  async list(funko: string): Promise<string[]> {
    return [...(await newestVersions(this.#swarm.docker, checkFunkoName(funko))).keys()].sort();
  }

  /** Every funko's secret names. */
  async listAll(): Promise<Record<string, string[]>> {
    const all: Record<string, Set<string>> = {};
    for (const secret of await this.#swarm.docker.secrets.list({ label: [LABELS.funko, SECRET_LABEL] })) {
      const funko = secret.Spec.Labels?.[LABELS.funko] ?? "";
      (all[funko] ??= new Set()).add(secret.Spec.Labels?.[SECRET_LABEL] ?? "");
    }
    return Object.fromEntries(
      Object.entries(all).sort(([a], [b]) => a.localeCompare(b)).map(([funko, names]) => [funko, [...names].sort()]),
    );
  }

  /** Takes the secret out of the funko's tasks (a rolling update), then removes every version of it. */
  async remove(funko: string, name: string): Promise<void> {
    checkFunkoName(funko);
    checkSecretName(name);
    if (!(await newestVersions(this.#swarm.docker, funko)).has(name)) {
      throw notFound(`${funko} has no secret named ${name}`);
    }
    await this.#rollOut(funko, `the removal of ${name}`, name);
    await this.#prune(funko, name);
  }

  /** Removes every version of every secret of the funko (`faaso rm`, once its service is gone). */
  async removeAll(funko: string): Promise<void> {
    const docker = this.#swarm.docker;
    for (const secret of await docker.secrets.list({ label: [`${LABELS.funko}=${checkFunkoName(funko)}`] })) {
      if (secret.Spec.Labels?.[SECRET_LABEL] === undefined) continue;
      await docker.secrets.remove(secret.ID).catch((error) => {
        if (!(error instanceof DockerApiError && error.status === 404)) throw error;
      });
    }
  }

  /** What a change meant: a rolling update of the running tasks, or nothing running yet. */
  async changeNote(_deps: LifecycleDeps, funko: string): Promise<string> {
    const replicas = await this.#swarm.desired(funko);
    if (!replicas) {
      return `${funko} has no running instance; its next ones get its secrets in ${SECRETS_MOUNT} (Swarm secrets)`;
    }
    return `The running instances of ${funko} were replaced one by one (a rolling update) and see the change in ` +
      `${SECRETS_MOUNT}: Swarm secrets cannot change in place, each value is a new version`;
  }

  /** Updates the funko's service (if any) to mount the newest versions of its secrets, `without` one. */
  async #rollOut(funko: string, what: string, without?: string): Promise<void> {
    const docker = this.#swarm.docker;
    const service = await docker.services.inspectOrNull(serviceName(funko));
    if (!service) return;
    const secrets = (await secretReferences(docker, funko)).filter((ref) =>
      ref.File.Name !== `${SECRETS_MOUNT}/${without}`
    );
    const template = service.Spec.TaskTemplate;
    const spec = {
      ...service.Spec,
      TaskTemplate: { ...template, ContainerSpec: { ...template.ContainerSpec, Secrets: secrets } },
    };
    const outcome = await rollOut(this.#swarm, service, spec, ROLLOUT_TIMEOUT_MS, silent);
    if (outcome.state !== "completed") {
      throw new FaasoError(
        `Cannot roll ${what} out to ${funko}: the update ended ${outcome.state.replace("_", " ")} ` +
          `(${outcome.message || "no message"}); its instances keep what they had`,
        { status: 409, code: "rollout_failed" },
      );
    }
  }

  /** Removes the versions of a secret other than `keep`; a version some service still mounts stays. */
  async #prune(funko: string, name: string, keep?: string): Promise<void> {
    const docker = this.#swarm.docker;
    for (
      const secret of await docker.secrets.list({ label: [`${LABELS.funko}=${funko}`, `${SECRET_LABEL}=${name}`] })
    ) {
      if (secret.ID === keep) continue;
      try {
        await docker.secrets.remove(secret.ID);
      } catch (error) {
        // In use (a service's spec still names it): the next change removes it.
        if (!(error instanceof DockerApiError)) throw error;
      }
    }
  }
}
