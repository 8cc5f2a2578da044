/**
 * For the image funko tests: an app image built the way a user's CI would,
 * outside FaaSO (no FaaSO label, port 8080, no /ping), and a real registry
 * (Debian's docker-registry, the CNCF distribution registry) on a random
 * loopback port to pull from.
 *
 * @module
 */
import { join } from "node:path";
import { LineStream } from "../docker/mod.ts";

/**
 * A small web app: GET / answers "VERSION INSTANCE" ("early INSTANCE" until
 * READY_AFTER_MS passed), its health path (HEALTH_PATH, /healthz) 503 until
 * then and 200 after, everything else (/ping too) 404. Stops on SIGTERM.
 */
const SERVER_JS = `const port = Number(Deno.env.get("APP_PORT") ?? "8080");
const version = Deno.env.get("APP_VERSION") ?? "v0";
const readyAt = Date.now() + Number(Deno.env.get("READY_AFTER_MS") ?? "0");
const healthPath = Deno.env.get("HEALTH_PATH") ?? "/healthz";
const who = Deno.env.get("FAASO_INSTANCE") ?? Deno.hostname();
const server = Deno.serve({
  hostname: "0.0.0.0",
  port,
  onListen: () => console.log("app " + version + " listening on " + port),
}, (request) => {
  const path = new URL(request.url).pathname;
  const ready = Date.now() >= readyAt;
  if (path === "/") return new Response((ready ? version : "early") + " " + who);
  if (path === healthPath) return new Response(ready ? "ok" : "not yet", { status: ready ? 200 : 503 });
  return new Response("not found", { status: 404 });
});
Deno.addSignalListener("SIGTERM", () => server.shutdown());
await server.finished;
Deno.exit(0);
`;

/** The Dockerfile of the app: Deno from the local base images, no HEALTHCHECK, no label. */
export function appDockerfile(env: Record<string, string> = {}): string {
  const extra = Object.entries(env).map(([key, value]) => ` ${key}=${value}`).join("");
  return `FROM denoland/deno:bin-2.9.6 AS deno
FROM debian:bookworm-slim
COPY --from=deno /deno /usr/local/bin/deno
COPY server.js /app/server.js
ARG APP_VERSION=v1
ENV APP_VERSION=$APP_VERSION DENO_NO_UPDATE_CHECK=1 DENO_DIR=/tmp/deno${extra}
CMD ["deno", "run", "--allow-net", "--allow-env", "--allow-sys", "/app/server.js"]
`;
}

/** Writes the app's source (server.js and a Dockerfile) into `folder`. */
export async function writeApp(folder: string, env: Record<string, string> = {}): Promise<void> {
  await Deno.writeTextFile(join(folder, "server.js"), SERVER_JS);
  await Deno.writeTextFile(join(folder, "Dockerfile"), appDockerfile(env));
}

/** Runs the docker CLI (as a user would, outside FaaSO); throws with its output when it fails. */
export async function dockerCli(args: string[]): Promise<string> {
  const result = await new Deno.Command("docker", {
    args,
    env: { DOCKER_BUILDKIT: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!result.success) {
    throw new Error(
      `docker ${args.join(" ")} failed:\n${decoder.decode(result.stdout)}${decoder.decode(result.stderr)}`,
    );
  }
  return decoder.decode(result.stdout).trim();
}

/** Builds the app as `tag` answering with `version`; returns the image ID. */
export async function buildAppImage(tag: string, version: string): Promise<string> {
  const folder = await Deno.makeTempDir({ prefix: "faaso-test-app-" });
  try {
    await writeApp(folder);
    return await dockerCli(["build", "-q", "--build-arg", `APP_VERSION=${version}`, "-t", tag, folder]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

/** A registry serving on 127.0.0.1 (which the engine trusts without TLS). */
export interface Registry extends AsyncDisposable {
  /** `127.0.0.1:PORT`, the prefix of its image references. */
  host: string;
}

/** Starts Debian's docker-registry on a random loopback port, storing in a temporary folder. */
export async function startRegistry(): Promise<Registry> {
  const folder = await Deno.makeTempDir({ prefix: "faaso-test-registry-" });
  const config = join(folder, "config.yml");
  await Deno.writeTextFile(
    config,
    `version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: ${folder}/data\n` +
      `http:\n  addr: 127.0.0.1:0\n`,
  );
  const child = new Deno.Command("docker-registry", {
    args: ["serve", config],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new LineStream()).getReader();
  const seen: string[] = [];
  let host = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  while (!host) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`docker-registry did not start:\n${seen.join("\n")}`);
    seen.push(value);
    host = /listening on (127\.0\.0\.1:\d+)/.exec(value)?.[1] ?? "";
  }
  clearTimeout(deadline);
  // Keep reading so that its log never fills the pipe.
  const drained = (async () => {
    while (!(await lines.read()).done) { /* discard */ }
  })();
  return {
    host,
    [Symbol.asyncDispose]: async () => {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
      await Deno.remove(folder, { recursive: true }).catch(() => {});
    },
  };
}
