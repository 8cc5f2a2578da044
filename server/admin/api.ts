/**
 * The admin JSON API under `/admin/api/`: what the CLI's remote mode (and the
 * web UI) call. Long operations answer with an operation stream
 * (newline-delimited JSON); everything else with plain JSON.
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { buildImage } from "../../core/build.ts";
import { checkBuildSettings, withDefaults } from "../../core/build_settings.ts";
import { pruneAll, pruneBuilds } from "../../core/builds.ts";
import { FaasoError } from "../../core/errors.ts";
import { buildFromImage } from "../../core/image_funko.ts";
import { formatIssues, FunkoSettings, ImageReference } from "../../core/manifest.ts";
import { checkFunkoName } from "../../core/names.ts";
import { funkoLogs } from "../../core/logs.ts";
import { deploy } from "../../core/deploy.ts";
import { removeFunko } from "../../core/remove.ts";
import { rollback } from "../../core/rollback.ts";
import { MAX_SECRET_BYTES } from "../../core/secrets.ts";
import { currentScale, down, scale, type StartOptions, up } from "../../core/scale.ts";
import { status } from "../../core/status.ts";
import { waitText } from "../../core/words.ts";
import { VERSION } from "../../core/version.ts";
import type { ServerDeps } from "./deps.ts";
import { clientAddress } from "./auth.ts";
import { requireReader, requireToken } from "./auth_middleware.ts";
import { jsonError } from "./errors.ts";
import { NDJSON, operationResponse } from "./operation_stream.ts";
import { receiveContext } from "./upload.ts";
import { callsApi } from "./calls_api.ts";
import { funkoStatuses } from "./funko_status.ts";

const LoginBody = z.object({ password: z.string() });
/** How long new instances get to become healthy, and whether to wait for them at all (up, scale). */
const StartFields = { timeout: z.number().positive().max(3600).optional(), wait: z.boolean().optional() };
const ScaleBody = z.object({ count: z.number(), ...StartFields });
const UpBody = z.object(StartFields);
const RollbackBody = z.object({
  tag: z.string().min(1).optional(),
  timeout: z.number().positive().max(3600).default(120),
  force: z.boolean().default(false),
});
const PruneBody = z.object({ funko: z.string().optional(), keep: z.number().int().min(1).max(1000).optional() });
const BuildArgs = z.record(z.string(), z.string());
/** `POST funkos/NAME/image`: make NAME's image from an image the server's engine has or can pull. */
const ImageBody = z.object({
  image: ImageReference,
  settings: FunkoSettings,
  pull: z.boolean().default(false),
  no_cache: z.boolean().default(false),
}).strict();
const SleepBody = z.object({ stop: z.boolean().default(false) }).strict();
const DeployBody = z.object({
  timeout: z.number().positive().max(3600).default(120),
  force: z.boolean().default(false),
});

/** The admin API, to be mounted at `/admin/api`. */
export function adminApi(deps: ServerDeps): Hono {
  const api = new Hono();
  const lifecycle = deps.lifecycle;

  api.post("/login", async (c) => {
    const body = LoginBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) throw new FaasoError('Cannot log in: send {"password": "..."}');
    const outcome = await deps.throttle.attempt(
      clientAddress(c.env),
      () => deps.credentials.checkPassword(body.data.password),
    );
    if (outcome.kind === "throttled") {
      const seconds = Math.ceil(outcome.waitMs / 1000);
      return jsonError(429, "too_many_attempts", `Too many failed logins: try again in ${waitText(seconds)}`, {
        "retry-after": String(seconds),
      });
    }
    if (outcome.kind === "wrong") return jsonError(401, "bad_password", "Wrong password");
    return c.json(await deps.credentials.issueToken());
  });

  // The traffic figures: for the read-only metrics token too (the CLI on the server's machine).
  const reader = requireReader(deps.credentials, deps.metricsToken);
  api.get("/stats", reader, async (c) => {
    const window = seconds(c.req.query("window"), 60, "window");
    const metrics = metricsOf(deps);
    await metrics.caughtUp();
    return c.json(metrics.report(window));
  });
  api.get("/stats/:name", reader, async (c) => {
    const range = seconds(c.req.query("range"), 3600, "range");
    const metrics = metricsOf(deps);
    await metrics.caughtUp();
    return c.json(metrics.history(checkFunkoName(c.req.param("name")), range));
  });

  api.use("*", requireToken(deps.credentials));

  api.get("/version", async (c) => {
    const engine = await deps.docker.system.version();
    return c.json({ faaso: VERSION, engine: engine.Version, api: engine.ApiVersion, data: deps.data.root });
  });

  api.get("/funkos", async (c) => c.json(await funkoStatuses(deps)));

  api.get("/funkos/:name", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    return c.json((await funkoStatuses(deps, name))[0]);
  });

  api.post("/funkos/:name/sleep", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = SleepBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) throw new FaasoError(`Cannot put ${name} to sleep: send {"stop": true|false}`);
    const sleeper = serverSleeper(deps);
    await status(lifecycle, name);
    return operationResponse(
      () => sleeper.sleep(name, body.data.stop ? "stopped" : "paused", { force: true }),
      c.req.raw.signal,
    );
  });

  api.post("/funkos/:name/wake", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const sleeper = serverSleeper(deps);
    await status(lifecycle, name);
    return operationResponse(async (progress) => {
      const outcome = await sleeper.wake(name);
      if (!outcome.ok) {
        throw new FaasoError(`Cannot wake ${name}: ${outcome.reason}`, { status: 502, code: "wake_failed" });
      }
      if (outcome.instance) progress({ kind: "step", text: `${outcome.instance} answers` });
      return { funko: name, state: "awake", instances: outcome.instance ? [outcome.instance] : [] };
    }, c.req.raw.signal);
  });

  api.get("/funkos/:name/scale", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    return c.json({ funko: name, scale: await currentScale(lifecycle, name) });
  });

  api.post("/funkos/:name/scale", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = ScaleBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) throw new FaasoError(`Cannot scale ${name}: send {"count": N, "timeout": seconds}`);
    return operationResponse(
      (progress) => scale(lifecycle, name, body.data.count, progress, startOptions(body.data)),
      c.req.raw.signal,
    );
  });

  api.post("/funkos/:name/up", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = UpBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) throw new FaasoError(`Cannot start ${name}: send {"timeout": seconds, "wait": true|false}`);
    return operationResponse((progress) => up(lifecycle, name, progress, startOptions(body.data)), c.req.raw.signal);
  });

  api.post("/funkos/:name/down", (c) => {
    const name = checkFunkoName(c.req.param("name"));
    return operationResponse(async (progress) => {
      const result = await down(lifecycle, name, progress);
      deps.scaling?.sleeper.takenDown(name);
      return result;
    }, c.req.raw.signal);
  });

  api.delete("/funkos/:name", (c) => {
    const name = checkFunkoName(c.req.param("name"));
    return operationResponse((progress) => removeFunko(lifecycle, name, progress, deps.secrets), c.req.raw.signal);
  });

  api.post("/funkos/:name/build", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const buildArgs = BuildArgs.safeParse(parseJson(c.req.query("build_args") ?? "{}"));
    if (!buildArgs.success) throw new FaasoError("Cannot build: build_args must be a JSON object of strings");
    const settings = FunkoSettings.safeParse(parseJson(c.req.query("settings") ?? "{}"), { reportInput: true });
    if (!settings.success) throw new FaasoError(`Cannot build ${name}: settings: ${formatIssues(settings.error)}`);
    // A build's own mirror and network, else the server's.
    const how = withDefaults(
      checkBuildSettings(
        { githubMirror: c.req.query("github_mirror"), network: c.req.query("build_network") },
        { githubMirror: "github_mirror", network: "build_network" },
      ),
      deps.build ?? {},
    );
    const context = await receiveContext(c.req.raw.body, deps.data.uploadsFolder, deps.uploadLimits);
    return operationResponse(async (progress, signal) => {
      await using received = context;
      progress({ kind: "step", text: `Received ${received.files} files (${received.bytes} bytes)` });
      return await buildImage(
        lifecycle,
        await received.open(),
        { name, runtime: c.req.query("runtime") ?? "", sourceHash: received.hash, settings: settings.data },
        {
          noCache: c.req.query("no_cache") === "1",
          buildArgs: buildArgs.data,
          signal,
          keepBuilds: deps.keepBuilds,
          registry: lifecycle.registry,
          ...how,
        },
        progress,
      );
    }, c.req.raw.signal);
  });

  api.post("/funkos/:name/image", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = ImageBody.safeParse(await c.req.json().catch(() => null));
    if (!body.success) throw new FaasoError(`Cannot build ${name} from an image: ${formatIssues(body.error)}`);
    const { image, settings, pull, no_cache: noCache } = body.data;
    return operationResponse(
      (progress, signal) =>
        buildFromImage(
          lifecycle,
          { name, image, settings },
          { pull, noCache, signal, keepBuilds: deps.keepBuilds },
          progress,
        ),
      c.req.raw.signal,
    );
  });

  api.get("/funkos/:name/logs", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const tail = c.req.query("tail");
    if (tail !== undefined && !/^\d+$/.test(tail)) throw new FaasoError(`tail=${tail}: use a whole number of lines`);
    const lines = await funkoLogs(lifecycle, name, {
      follow: c.req.query("follow") === "1",
      tail: tail === undefined ? undefined : Number(tail),
      signal: AbortSignal.any([c.req.raw.signal, deps.stopping]),
    });
    const encoder = new TextEncoder();
    const body = lines.pipeThrough(
      new TransformStream({
        transform: (line, controller) => controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`)),
      }),
    );
    return new Response(body, { headers: { "content-type": NDJSON, "cache-control": "no-store" } });
  });

  api.post("/funkos/:name/deploy", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = DeployBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) throw new FaasoError(`Cannot deploy ${name}: send {"timeout": seconds, "force": true|false}`);
    return operationResponse(
      (progress) =>
        deploy(lifecycle, name, {
          timeoutMs: body.data.timeout * 1000,
          force: body.data.force,
        }, progress),
      c.req.raw.signal,
    );
  });

  api.post("/funkos/:name/rollback", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const body = RollbackBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) {
      throw new FaasoError(`Cannot roll back ${name}: send {"tag": "TIME", "timeout": seconds, "force": true|false}`);
    }
    const { tag, timeout, force } = body.data;
    return operationResponse(
      (progress) => rollback(lifecycle, name, { tag, timeoutMs: timeout * 1000, force }, progress),
      c.req.raw.signal,
    );
  });

  api.post("/prune", async (c) => {
    const body = PruneBody.safeParse(await c.req.json().catch(() => ({})));
    if (!body.success) throw new FaasoError('Cannot prune: send {"funko": NAME, "keep": N} (both optional)');
    const { funko, keep = deps.keepBuilds } = body.data;
    return operationResponse(
      async (progress) =>
        funko === undefined
          ? await pruneAll(lifecycle, keep, progress)
          : [await pruneBuilds(lifecycle, checkFunkoName(funko), keep, progress)],
      c.req.raw.signal,
    );
  });

  api.get("/secrets", async (c) => c.json(await deps.secrets.listAll()));

  api.get("/funkos/:name/secrets", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    return c.json({ funko: name, names: await deps.secrets.list(name) });
  });

  api.put("/funkos/:name/secrets/:secret", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const secret = c.req.param("secret");
    const value = await readLimited(c.req.raw.body, MAX_SECRET_BYTES, `Cannot store the secret ${secret}`);
    await deps.secrets.add(name, secret, value);
    return c.json({ funko: name, name: secret, ...await secretChange(name) });
  });

  api.delete("/funkos/:name/secrets/:secret", async (c) => {
    const name = checkFunkoName(c.req.param("name"));
    const secret = c.req.param("secret");
    await deps.secrets.remove(name, secret);
    return c.json({ funko: name, name: secret, ...await secretChange(name) });
  });

  /** Which store a secret change went to, and what it means for the funko's running instances. */
  const secretChange = async (funko: string) => ({
    store: deps.secrets.where ?? `the data folder ${deps.data.root} of the server`,
    note: await deps.secrets.changeNote(lifecycle, funko),
  });

  api.get("/routes", (c) => c.json(deps.table.snapshot()));

  api.route("/", callsApi(deps));

  return api;
}

/** The server's sleeper: every `faaso serve` has one (an app built without it is a test's). */
function serverSleeper(deps: ServerDeps) {
  if (!deps.scaling) {
    throw new FaasoError("Cannot sleep or wake funkos here: this server runs no proxy", { status: 501 });
  }
  return deps.scaling.sleeper;
}

/** Start options from a request body (seconds to milliseconds). */
function startOptions(body: { timeout?: number; wait?: boolean }): StartOptions {
  return {
    ...(body.timeout === undefined ? {} : { timeoutMs: body.timeout * 1000 }),
    ...(body.wait === undefined ? {} : { wait: body.wait }),
  };
}

/** Reads a request body of at most `limit` bytes. */
async function readLimited(body: ReadableStream<Uint8Array> | null, limit: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw new FaasoError(`${what}: it is larger than ${limit} bytes`, { status: 413 });
    chunks.push(chunk);
  }
  const value = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    value.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return value;
}

/** The server's metrics, or a 404 when they are off. */
function metricsOf(deps: ServerDeps): NonNullable<ServerDeps["metrics"]> {
  if (!deps.metrics) {
    throw new FaasoError("Traffic figures are off: faaso serve runs with --no-metrics", {
      status: 404,
      code: "metrics_off",
    });
  }
  return deps.metrics;
}

/** A whole number of seconds from 1 to 3600 in a query parameter, or `fallback` when absent. */
function seconds(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 3600) {
    throw new FaasoError(`${name}=${text}: use a whole number of seconds from 1 to 3600`);
  }
  return value;
}

/** Parses JSON from a query parameter; bad JSON is undefined (and fails validation after). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
