/**
 * The admin web UI at /admin/: server-rendered with hono/jsx, made
 * interactive with htmx, styled by Pico CSS, every asset served from here.
 * It calls the same lifecycle core as the CLI and the admin API.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { deploy } from "../../../core/deploy.ts";
import { FaasoError } from "../../../core/errors.ts";
import { FUNKO_NAME_PATTERN } from "../../../core/names.ts";
import type { Progress } from "../../../core/progress.ts";
import { removeFunko } from "../../../core/remove.ts";
import { rollback } from "../../../core/rollback.ts";
import { down, scale, type ScaleResult, up } from "../../../core/scale.ts";
import { type FunkoStatus, status } from "../../../core/status.ts";
import { funkoStatuses } from "../funko_status.ts";
import { clientAddress } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { describeError } from "../errors.ts";
import { ASSETS } from "./assets.ts";
import { DeployProgress, FunkoCard, GoneFunko, InstancesTable } from "./funko_card.tsx";
import { Jobs } from "./jobs.ts";
import { Flash, Layout, type ServerInfo } from "./layout.tsx";
import { ConfirmPage, DashboardPage, FunkoPage, type FunkoTraffic, LoginPage, SecretsSection } from "./pages.tsx";
import { DASHBOARD_WINDOW, DashboardTable, TrafficSection } from "./dashboard.tsx";
import { endSession, requireSession, type SessionVariables, startSession } from "./session.ts";
import { followJob, followLogs } from "./streams.ts";
import { counted } from "../../../core/words.ts";

type UiContext = Context<{ Variables: SessionVariables }>;

/** The web UI, to be mounted at `/admin`. */
export function adminUi(deps: ServerDeps): Hono<{ Variables: SessionVariables }> {
  const ui = new Hono<{ Variables: SessionVariables }>({ strict: false });
  const lifecycle = deps.lifecycle;
  const jobs = new Jobs();
  const info = serverInfo(deps);
  const trafficOf = (funko: string): FunkoTraffic | undefined => {
    if (!deps.metrics) return undefined;
    const now = Date.now();
    const summary = deps.metrics.report(DASHBOARD_WINDOW, now).funkos[funko];
    return { summary, history: deps.metrics.history(funko, 3600, now), now };
  };
  const funkoOf = async (c: UiContext): Promise<FunkoStatus> =>
    (await funkoStatuses(deps, funkoName(c.req.param("name") ?? "")))[0]!;

  ui.get("/assets/:file", (c) => {
    const asset = ASSETS[c.req.param("file")];
    if (!asset) return c.text("Not found", 404);
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=3600" });
  });

  ui.get("/login", (c) => c.html(<LoginPage />));

  ui.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const password = typeof form.password === "string" ? form.password : "";
    const outcome = await deps.throttle.attempt(clientAddress(c.env), () => deps.credentials.checkPassword(password));
    if (outcome.kind === "throttled") {
      return c.html(<LoginPage error={`Too many failed attempts: wait ${Math.ceil(outcome.waitMs / 1000)} s`} />, 429);
    }
    if (outcome.kind === "wrong") return c.html(<LoginPage error="Wrong password" />, 401);
    await startSession(c, deps.credentials);
    return c.redirect("/admin/", 303);
  });

  const session = requireSession(deps.credentials);
  for (const path of ["/", "/dashboard", "/logout", "/funkos/*", "/jobs/*"]) ui.use(path, session);

  ui.post("/logout", (c) => {
    endSession(c);
    return c.redirect("/admin/login", 303);
  });

  ui.get("/", async (c) => {
    const funkos = await funkoStatuses(deps);
    const traffic = deps.metrics?.report(DASHBOARD_WINDOW);
    return c.html(<DashboardPage funkos={funkos} traffic={traffic} csrf={c.get("csrf")} info={await info()} />);
  });

  ui.get("/dashboard", async (c) => {
    const funkos = await funkoStatuses(deps);
    return c.html(<DashboardTable funkos={funkos} traffic={deps.metrics?.report(DASHBOARD_WINDOW)} />);
  });

  ui.get("/funkos/:name", (c) =>
    action(c, async () => {
      const funko = await funkoOf(c);
      const secrets = await deps.secrets.list(funko.name);
      const traffic = trafficOf(funko.name);
      return <FunkoPage funko={funko} secrets={secrets} csrf={c.get("csrf")} info={await info()} traffic={traffic} />;
    }));

  ui.get("/funkos/:name/traffic", (c) => {
    const name = funkoName(c.req.param("name"));
    const traffic = trafficOf(name);
    return c.html(<TrafficSection funko={name} {...traffic} now={traffic?.now ?? Date.now()} />);
  });

  ui.get(
    "/funkos/:name/card",
    (c) => action(c, async () => <FunkoCard funko={await funkoOf(c)} csrf={c.get("csrf")} />),
  );

  ui.get("/funkos/:name/instances", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      try {
        const [funko] = await status(lifecycle, name);
        return <InstancesTable funko={funko!} />;
      } catch (error) {
        // Removed meanwhile (another admin, the CLI): say so in place, and stop asking, rather than flash an error.
        if (error instanceof FaasoError && error.status === 404) return <GoneFunko name={name} />;
        throw error;
      }
    }));

  /**
   * Scale, start, stop, sleep, wake: the work says what it did (a scale
   * result, or a sentence), which the page shows in the flash area beside the new card.
   */
  const lifecycleAction = (
    path: string,
    work: (name: string, form: Record<string, unknown>) => Promise<ScaleResult | string>,
  ) =>
    ui.post(`/funkos/:name/${path}`, (c) =>
      action(c, async () => {
        const name = funkoName(c.req.param("name"));
        const form = await c.req.parseBody();
        const confirmation = await needsConfirmation(c, form, info, `/admin/funkos/${name}`);
        if (confirmation) return confirmation;
        const result = await work(name, form);
        return (
          <>
            <FunkoCard funko={await funkoOf(c)} csrf={c.get("csrf")} />
            <div id="flash" hx-swap-oob="innerHTML">
              <Flash kind="ok" message={typeof result === "string" ? result : scaleMessage(result)} />
            </div>
          </>
        );
      }, `/admin/funkos/${c.req.param("name")}`));

  // An empty or odd field is no number (NaN), not 0: scale() refuses it.
  lifecycleAction(
    "scale",
    (name, form) => scale(lifecycle, name, /^\d+$/.test(String(form.count)) ? Number(form.count) : NaN),
  );
  lifecycleAction("up", (name) => up(lifecycle, name));
  lifecycleAction("down", (name) => down(lifecycle, name));
  lifecycleAction("sleep", async (name, form) => {
    if (!deps.scaling) throw new FaasoError("Cannot put funkos to sleep here: this server runs no proxy");
    const state = form.stop === "yes" ? "stopped" : "paused";
    await deps.scaling.sleeper.sleep(name, state, { force: true });
    return `${name} sleeps (${state})`;
  });
  lifecycleAction("wake", async (name) => {
    if (!deps.scaling) throw new FaasoError("Cannot wake funkos here: this server runs no proxy");
    const outcome = await deps.scaling.sleeper.wake(name);
    if (!outcome.ok) throw new FaasoError(`Cannot wake ${name}: ${outcome.reason}`);
    return `${name} is awake`;
  });

  /** Deploys and rollbacks run as jobs whose progress the page follows. */
  const deployJob = (c: UiContext, what: string, work: (progress: Progress) => Promise<string>) => {
    const name = funkoName(c.req.param("name") ?? "");
    const job = jobs.start(async (progress) => {
      try {
        return { ok: true, message: await work(progress) };
      } catch (error) {
        return {
          ok: false,
          message: describeError(error).message,
          details: error instanceof FaasoError ? error.details : [],
        };
      }
    });
    return Promise.resolve(<DeployProgress funko={name} job={job} what={what} />);
  };

  ui.post("/funkos/:name/deploy", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const force = (await c.req.parseBody()).force === "1";
      return deployJob(c, force ? "Force-deploying" : "Deploying", async (progress) => {
        const result = await deploy(lifecycle, name, { force }, progress);
        return result.started.length
          ? `Deployed: ${counted(result.started.length, "new instance")}`
          : "Nothing to deploy: every instance runs the newest image (Force deploy replaces them anyway)";
      });
    }, `/admin/funkos/${c.req.param("name")}`));

  ui.post("/funkos/:name/rollback", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const tag = String((await c.req.parseBody()).tag ?? "");
      if (!tag) throw new FaasoError(`Cannot roll back ${name}: say which build`);
      return deployJob(c, `Deploying ${tag} of`, async (progress) => {
        const result = await rollback(lifecycle, name, { tag }, progress);
        return result.started.length
          ? `Rolled back to ${result.tag}: ${counted(result.started.length, "new instance")}`
          : `Every instance already runs ${result.tag}`;
      });
    }, `/admin/funkos/${c.req.param("name")}`));

  ui.get("/jobs/:id/events", (c) => followJob(c, jobs, c.req.param("id"), deps.stopping));

  ui.get("/funkos/:name/logs/stream", (c) => {
    const tail = Number(c.req.query("tail") ?? "200");
    const name = funkoName(c.req.param("name"));
    return followLogs(c, lifecycle, name, Number.isInteger(tail) ? tail : 200, deps.stopping);
  });

  ui.post("/funkos/:name/remove", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const form = await c.req.parseBody();
      const confirmation = await needsConfirmation(c, form, info, `/admin/funkos/${name}`);
      if (confirmation) return confirmation;
      const removed = await removeFunko(lifecycle, name, undefined, deps.secrets);
      c.header("hx-redirect", "/admin/");
      const what = `${counted(removed.instances.length, "instance")}, ${counted(removed.images.length, "image")}, ` +
        counted(removed.secrets.length, "secret");
      return <Flash kind="ok" message={`Removed ${name}: ${what}`} />;
    }, "/admin/"));

  ui.post("/funkos/:name/secrets", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const form = await c.req.parseBody();
      const secret = typeof form.name === "string" ? form.name.trim() : "";
      const value = typeof form.value === "string" ? form.value : "";
      await deps.secrets.add(name, secret, new TextEncoder().encode(value));
      const message = `Stored the secret ${secret}. ${await deps.secrets.changeNote(lifecycle, name)}`;
      return (
        <SecretsSection funko={name} names={await deps.secrets.list(name)} csrf={c.get("csrf")} message={message} />
      );
    }, `/admin/funkos/${c.req.param("name")}`));

  ui.post("/funkos/:name/secrets/:secret/delete", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const secret = c.req.param("secret");
      const form = await c.req.parseBody();
      const confirmation = await needsConfirmation(c, form, info, `/admin/funkos/${name}`);
      if (confirmation) return confirmation;
      await deps.secrets.remove(name, secret);
      const message = `Deleted the secret ${secret}. ${await deps.secrets.changeNote(lifecycle, name)}`;
      return (
        <SecretsSection funko={name} names={await deps.secrets.list(name)} csrf={c.get("csrf")} message={message} />
      );
    }, `/admin/funkos/${c.req.param("name")}`));

  return ui;
}

/**
 * Runs a form's work. htmx gets the fragment (or, on failure, an error in the
 * flash area); a plain form post is sent back to `back` (or shown the error).
 */
async function action(c: UiContext, work: () => Promise<unknown>, back = "/admin/"): Promise<Response> {
  const htmx = c.req.header("hx-request") === "true";
  try {
    const fragment = await work();
    if (fragment instanceof Response) return fragment;
    return htmx || c.req.method === "GET" ? c.html(fragment as string) : c.redirect(back, 303);
  } catch (error) {
    const { status, message } = describeError(error);
    const details = error instanceof FaasoError ? error.details : [];
    if (htmx) {
      c.header("hx-retarget", "#flash");
      c.header("hx-reswap", "innerHTML");
      return c.html(<Flash kind="error" message={message} details={details} />, status as 400);
    }
    return c.html(
      <Layout title="Error" csrf={c.get("csrf")}>
        <Flash kind="error" message={message} details={details} />
        <p>
          <a href={back}>Back</a>
        </p>
      </Layout>,
      status as 400,
    );
  }
}

/** Without htmx (no JavaScript, no confirm dialog), a destructive form first shows a confirmation page. */
async function needsConfirmation(
  c: UiContext,
  form: Record<string, unknown>,
  info: () => Promise<ServerInfo>,
  back: string,
): Promise<Response | undefined> {
  const destructive = /\/(down|remove|delete)$/.test(c.req.path);
  if (!destructive || form.confirm === "yes") return undefined;
  const question = `Really ${c.req.path.split("/").at(-1)} (${c.req.path.replace("/admin/funkos/", "")})?`;
  return c.html(
    <ConfirmPage question={question} action={c.req.path} csrf={c.get("csrf")} back={back} info={await info()} />,
  );
}

/** What a scale, start or stop did, in a sentence. */
function scaleMessage(result: ScaleResult): string {
  const now = `${counted(result.after, "instance")} of ${result.funko} running`;
  if (result.started.length === 0 && result.removed.length === 0) return `Nothing to start or stop: ${now} already`;
  const changes = [
    result.started.length ? `started ${counted(result.started.length, "instance")} (healthy)` : "",
    result.removed.length ? `removed ${counted(result.removed.length, "instance")}` : "",
  ].filter(Boolean).join(", ");
  return `${changes[0]!.toUpperCase()}${changes.slice(1)}: ${now}`;
}

/** A funko name from a URL; a malformed one is a page that does not exist. */
function funkoName(name: string): string {
  if (!FUNKO_NAME_PATTERN.test(name)) throw new FaasoError(`${name}: not a funko name`, { status: 404 });
  return name;
}

/** Server and engine versions for the pages, asked of the engine at most once a minute. */
function serverInfo(deps: ServerDeps): () => Promise<ServerInfo> {
  let cached: { info: ServerInfo; at: number } | undefined;
  return async () => {
    if (!cached || Date.now() - cached.at > 60_000) {
      const engine = await deps.docker.system.version();
      cached = { info: { engine: engine.Version, api: engine.ApiVersion, data: deps.data.root }, at: Date.now() };
    }
    return cached.info;
  };
}
