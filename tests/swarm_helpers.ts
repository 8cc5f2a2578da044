/**
 * What tests/swarm_test.ts builds on its swarm: the echo funko's folder, the
 * proxy image, and the proxy run as a service on the managers, as the
 * README's Swarm section says.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT, waitForHttp } from "./helpers.ts";
import { run, type TestSwarm } from "./swarm.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");
/** The base images the manager needs for builds. */
export const BASE_IMAGES = ["debian:bookworm-slim", "denoland/deno:bin-2.9.6"];

/** The echo funko's funko.yml at `version`: 3 replicas, a quick healthcheck. */
export function manifest(name: string, version: string, extra = ""): string {
  return `name: ${name}\nruntime: deno\nenv:\n  ECHO_VERSION: ${version}\nscale: 3\ndrain: 5s\n` +
    `healthcheck:\n  interval: 1s\n  timeout: 2s\n  start_period: 20s\n${extra}`;
}

/** Writes the echo funko into `folder` with the funko.yml `text`. */
export async function writeFunko(folder: string, text: string): Promise<void> {
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  await Deno.writeTextFile(join(folder, "funko.yml"), text);
}

/** Builds the proxy image on the host under a tag of this run, and gives it to the manager. */
export async function proxyImage(swarm: TestSwarm): Promise<string> {
  const tag = `${swarm.id}-proxy:test`;
  const build = await run("docker", ["build", "-q", "-f", join(ROOT, "proxy.Dockerfile"), "-t", tag, ROOT]);
  if (build.code !== 0) throw new Error(`Cannot build the proxy image: ${build.stderr}`);
  try {
    await swarm.copyImages([tag]);
  } finally {
    await run("docker", ["rmi", tag]);
  }
  return tag;
}

/** Runs the proxy as the README's swarm section says: a service on the managers, its port published in host mode. */
export async function startProxyService(swarm: TestSwarm, image: string, password: string): Promise<string> {
  await swarm.dockerOk(swarm.manager, ["network", "create", "--driver", "overlay", "--attachable", "faaso-net"]);
  await swarm.dockerOk(swarm.manager, [
    "service",
    "create",
    "--detach",
    "--name",
    "faaso-proxy",
    "--constraint",
    "node.role==manager",
    "--network",
    "faaso-net",
    "--publish",
    "mode=host,target=8888,published=8888",
    "--mount",
    "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock",
    "--mount",
    "type=volume,source=faaso-data,target=/data",
    "--health-timeout",
    "10s",
    "--health-retries",
    "6",
    "--env",
    `FAASO_REGISTRY=${swarm.registry}`,
    "--env",
    `FAASO_PASSWORD=${password}`,
    image,
  ]);
  const url = `http://${swarm.manager.address}:8888`;
  await waitForHttp(`${url}/ping`, { timeoutMs: 120_000 });
  return url;
}
