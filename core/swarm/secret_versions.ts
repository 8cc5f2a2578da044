/**
 * The versions of funko secrets kept as Swarm secrets: their names, and the
 * newest version of each, which is what tasks mount.
 *
 * @module
 */
import type { Docker, Secret, SecretReference } from "../../docker/mod.ts";
import { LABELS } from "../names.ts";
import { secretReference } from "./spec.ts";

/** The label naming the funko secret a Swarm secret is a version of. */
export const SECRET_LABEL = "faaso.secret";
/** Swarm's limit on secret names. */
const MAX_NAME = 64;

/**
 * The Swarm secret name of one version: `faaso-FUNKO-NAME-VERSION`, or
 * `faaso-HASH-VERSION` where that would pass Swarm's 64 characters (the
 * labels tell which funko and secret it is either way).
 */
export async function secretVersionName(funko: string, name: string, version: string): Promise<string> {
  const plain = `faaso-${funko}-${name}-${version}`;
  if (plain.length <= MAX_NAME && /[a-zA-Z0-9]$/.test(plain)) return plain;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${funko}/${name}`)));
  const hash = Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  return `faaso-${hash}-${version}`;
}

/** The newest version of each of a funko's secrets. */
export async function newestVersions(docker: Docker, funko: string): Promise<Map<string, Secret>> {
  const newest = new Map<string, Secret>();
  for (const secret of await docker.secrets.list({ label: [`${LABELS.funko}=${funko}`] })) {
    const name = secret.Spec.Labels?.[SECRET_LABEL];
    if (!name) continue;
    const seen = newest.get(name);
    if (!seen || secret.CreatedAt > seen.CreatedAt) newest.set(name, secret);
  }
  return newest;
}

/** The secret mounts of a funko's tasks: the newest version of each of its secrets, at /secrets/NAME. */
export async function secretReferences(docker: Docker, funko: string): Promise<SecretReference[]> {
  const newest = await newestVersions(docker, funko);
  return [...newest].sort(([a], [b]) => a < b ? -1 : 1)
    .map(([name, secret]) => secretReference(name, secret.ID, secret.Spec.Name));
}
