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
import { removeFunko } from "../../../core/remove.ts";
import { down, scale, up } from "../../../core/scale.ts";
import { type FunkoStatus, status } from "../../../core/status.ts";
import { withInvocations } from "../../../core/calls.ts";
import { clientAddress } from "../auth.ts";
import type { ServerDeps } from "../deps.ts";
import { describeError } from "../errors.ts";
import { ASSETS } from "./assets.ts";
import { DeployProgress, FunkoCard, InstancesTable } from "./funko_card.tsx";
import { Jobs } from "./jobs.ts";
import { Flash, Layout, type ServerInfo } from "./layout.tsx";
import { ConfirmPage, DashboardPage, FunkoPage, LoginPage, SecretsSection } from "./pages.tsx";
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
  const funkoOf = async (c: UiContext): Promise<FunkoStatus> => {
    const funkos = await status(lifecycle, funkoName(c.req.param("name") ?? ""));
    return (await withInvocations(funkos, deps.invocations.store))[0]!;
  };

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
  for (const path of ["/", "/logout", "/funkos/*", "/jobs/*"]) ui.use(path, session);

  ui.post("/logout", (c) => {
    endSession(c);
    return c.redirect("/admin/login", 303);
  });

  ui.get("/", async (c) => {
    const funkos = await withInvocations(await status(lifecycle), deps.invocations.store);
    return c.html(<DashboardPage funkos={funkos} csrf={c.get("csrf")} info={await info()} />);
  });

  ui.get("/funkos/:name", (c) =>
    action(c, async () => {
      const funko = await funkoOf(c);
      const secrets = await deps.secrets.list(funko.name);
      return <FunkoPage funko={funko} secrets={secrets} csrf={c.get("csrf")} info={await info()} />;
    }));

  ui.get(
    "/funkos/:name/card",
    (c) => action(c, async () => <FunkoCard funko={await funkoOf(c)} csrf={c.get("csrf")} />),
  );

  ui.get("/funkos/:name/instances", (c) => action(c, async () => <InstancesTable funko={await funkoOf(c)} />));

  const lifecycleAction = (path: string, work: (name: string, form: Record<string, unknown>) => Promise<unknown>) =>
    ui.post(`/funkos/:name/${path}`, (c) =>
      action(c, async () => {
        const name = funkoName(c.req.param("name"));
        const form = await c.req.parseBody();
        const confirmation = await needsConfirmation(c, form, info, `/admin/funkos/${name}`);
        if (confirmation) return confirmation;
        await work(name, form);
        return <FunkoCard funko={await funkoOf(c)} csrf={c.get("csrf")} />;
      }, `/admin/funkos/${c.req.param("name")}`));

  // An empty or odd field is no number (NaN), not 0: scale() refuses it.
  lifecycleAction(
    "scale",
    (name, form) => scale(lifecycle, name, /^\d+$/.test(String(form.count)) ? Number(form.count) : NaN),
  );
  lifecycleAction("up", (name) => up(lifecycle, name));
  lifecycleAction("down", (name) => down(lifecycle, name));

  ui.post("/funkos/:name/deploy", (c) =>
    action(c, () => {
      const name = funkoName(c.req.param("name"));
      const job = jobs.start(async (progress) => {
        try {
          const result = await deploy(lifecycle, name, {}, progress);
          const message = result.started.length
            ? `Deployed: ${counted(result.started.length, "new instance")}`
            : "Nothing to deploy: every instance runs the newest image";
          return { ok: true, message };
        } catch (error) {
          return {
            ok: false,
            message: describeError(error).message,
            details: error instanceof FaasoError ? error.details : [],
          };
        }
      });
      return Promise.resolve(<DeployProgress funko={name} job={job} />);
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
      await removeFunko(lifecycle, name);
      c.header("hx-redirect", "/admin/");
      return <Flash kind="ok" message={`Removed ${name}`} />;
    }, "/admin/"));

  ui.post("/funkos/:name/secrets", (c) =>
    action(c, async () => {
      const name = funkoName(c.req.param("name"));
      const form = await c.req.parseBody();
      const secret = typeof form.name === "string" ? form.name.trim() : "";
      const value = typeof form.value === "string" ? form.value : "";
      await deps.secrets.add(name, secret, new TextEncoder().encode(value));
      const message = `Stored the secret ${secret}. ${await deps.secrets.changeNote(name)}`;
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
      const message = `Deleted the secret ${secret}. ${await deps.secrets.changeNote(name)}`;
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
