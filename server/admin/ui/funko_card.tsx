/**
 * A funko as the web UI shows it: its public URL and settings, instances with
 * state, health and crashes, image age, out-of-date markers, scale, start,
 * stop, deploy and force deploy, and its build history, any build of which
 * can be deployed again (a rollback).
 *
 * @module
 */
import { readyWhen } from "../../../core/manifest.ts";
import { describeScaling, scaleText, warmOf } from "../../../core/scaling.ts";
import { counted } from "../../../core/words.ts";
import type { FunkoStatus, InstanceStatus } from "../../../core/status.ts";
import { ago } from "../../../core/time.ts";
import { InvocationsSection } from "./invocations.tsx";

/** A form that posts with htmx, and without JavaScript as a plain form. */
export function ActionForm(props: {
  action: string;
  csrf: string;
  target: string;
  confirm?: string;
  label: string;
  class?: string;
  fields?: Record<string, string | number>;
  children?: unknown;
}) {
  return (
    <form
      method="post"
      action={props.action}
      hx-post={props.action}
      hx-target={props.target}
      hx-swap="outerHTML"
      hx-confirm={props.confirm}
      // No second click while a start or a scale waits for healthy instances.
      hx-disabled-elt="find button"
      // Only htmx, after its dialog, says "confirmed"; a plain post gets the confirmation page.
      hx-vals={props.confirm ? JSON.stringify({ confirm: "yes" }) : undefined}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={String(value)} />
      ))}
      {props.children}
      <button type="submit" class={props.class}>{props.label}</button>
    </form>
  );
}

/** The health of an instance as a coloured badge. */
function HealthBadge(props: { instance: InstanceStatus }) {
  const { state, health } = props.instance;
  // A warm spare waits paused on purpose.
  if (props.instance.spare && state === "paused") return <span class="badge">paused</span>;
  if (state !== "running") return <span class="badge bad">{state}</span>;
  const kind = health === "healthy" || health === "none" ? "ok" : health === "starting" ? "warn" : "bad";
  return <span class={`badge ${kind}`}>{health === "none" ? "running" : health}</span>;
}

/**
 * Asleep or awake, the last request and the autoscaler's target, as the
 * proxy knows them; the scaling settings in a tooltip.
 */
export function ActivityLine(props: { funko: FunkoStatus }) {
  const { funko } = props;
  const activity = funko.activity;
  if (!activity) return null;
  const asleep = activity.state === "paused" || activity.state === "stopped";
  const kind = activity.state === "awake" ? "ok" : asleep ? "asleep" : "warn";
  return (
    <p data-activity={activity.state} title={describeScaling(funko.settings)}>
      <span class={`badge ${kind}`}>{activity.state === "awake" ? "awake" : activity.state}</span>
      {asleep && activity.since ? ` since ${ago(activity.since)}` : ""} · scale {scaleText(funko.settings.scale)} ·{" "}
      {activity.lastRequest ? `last request ${ago(activity.lastRequest)}` : "no request seen since the proxy started"}
      {activity.inFlight ? ` · ${activity.inFlight} in flight` : ""}
      {activity.target !== null ? ` · autoscaler target ${activity.target}${activity.panicking ? " (panic)" : ""}` : ""}
      {activity.spares ? ` · ${counted(activity.spares, "warm spare")} ready` : ""}
    </p>
  );
}

/** The instances table; refreshes itself every few seconds. */
export function InstancesTable(props: { funko: FunkoStatus }) {
  const { funko } = props;
  return (
    <div
      id={`instances-${funko.name}`}
      hx-get={`/admin/funkos/${funko.name}/instances`}
      hx-trigger="every 4s"
      hx-swap="outerHTML"
    >
      {funko.instances.length === 0
        ? <p class="muted">No instances: start it to run one.</p>
        : (
          <div class="overflow-auto">
            <table>
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">Health</th>
                  <th scope="col">Address</th>
                  <th scope="col">Image</th>
                  <th scope="col">Created</th>
                  <th scope="col">Restarts</th>
                </tr>
              </thead>
              <tbody>
                {funko.instances.map((instance) => (
                  <tr key={instance.id} data-instance={instance.name}>
                    <td>
                      <code>{instance.name}</code>
                      {instance.spare
                        ? (
                          <>
                            {" "}
                            <small class="muted">warm spare</small>
                          </>
                        )
                        : null}
                    </td>
                    <td>
                      <HealthBadge instance={instance} />
                    </td>
                    <td>{instance.address ?? "-"}</td>
                    <td>
                      {instance.outOfDate
                        ? <span class="badge warn">out of date</span>
                        : <span class="badge ok">latest</span>}
                    </td>
                    <td>{ago(instance.created)}</td>
                    <td data-restarts>
                      {instance.restarts
                        ? (
                          <span class="badge bad">
                            {instance.restarts}
                            {instance.exitCode === undefined ? "" : `, last exit code ${instance.exitCode}`}
                            {instance.oomKilled ? " (out of memory)" : ""}
                          </span>
                        )
                        : "-"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </div>
  );
}

/** What the instances table becomes when its funko was removed elsewhere: no more refreshing. */
export function GoneFunko(props: { name: string }) {
  return (
    <div id={`instances-${props.name}`}>
      <p class="muted">{props.name} no longer exists: it was removed (reload the page).</p>
    </div>
  );
}

/** A funko's card: where it answers, how it runs, the controls, the build history. */
export function FunkoCard(props: { funko: FunkoStatus; csrf: string }) {
  const { funko, csrf } = props;
  const id = `funko-${funko.name}`;
  const base = `/admin/funkos/${funko.name}`;
  const target = `#${id}`;
  const stamp = funko.latest?.tags.find((tag) => tag !== "latest");
  const outOfDate = funko.instances.some((instance) => instance.outOfDate);
  const url = `/funko/${funko.name}/`;
  return (
    <article id={id} hx-get={`${base}/card`} hx-trigger="refresh" hx-swap="outerHTML">
      <header>
        <hgroup>
          <h2>
            <a href={`${base}`}>{funko.name}</a>
          </h2>
          <p>
            {funko.image ? `image ${funko.image}` : funko.runtime || "own Dockerfile"} ·{" "}
            <span title={`ready when ${readyWhen(funko.settings)}`}>port {funko.settings.port}</span> · {funko.scale}
            {" "}
            running · {!funko.latest
              ? "no image"
              : funko.latest.foreign
              ? <span class="badge warn">latest was not built by FaaSO</span>
              : `image ${stamp ?? "latest"}, built ${ago(funko.latest.created)}`}
            {outOfDate && (
              <>
                {" "}
                <span class="badge warn">out of date: deploy to update</span>
              </>
            )}
          </p>
        </hgroup>
        <p>
          Public URL: <a href={url} data-public-url>{url}</a>
        </p>
      </header>
      <ActivityLine funko={funko} />
      <InstancesTable funko={funko} />
      <InvocationsSection funko={funko} />
      <div class="actions">
        <ActionForm action={`${base}/scale`} csrf={csrf} target={target} label="Scale">
          <label>
            Instances
            <input type="number" name="count" min="0" max="100" value={String(funko.scale)} required />
          </label>
        </ActionForm>
        <ActionForm action={`${base}/up`} csrf={csrf} target={target} label="Start" class="secondary" />
        <ActionForm
          action={`${base}/down`}
          csrf={csrf}
          target={target}
          label="Stop"
          class="danger outline"
          confirm={`Stop and remove every instance of ${funko.name}?`}
        />
        {funko.activity?.state === "paused" || funko.activity?.state === "stopped"
          ? <ActionForm action={`${base}/wake`} csrf={csrf} target={target} label="Wake" class="secondary" />
          : <ActionForm action={`${base}/sleep`} csrf={csrf} target={target} label="Sleep" class="secondary outline" />}
        <ActionForm action={`${base}/deploy`} csrf={csrf} target={`#deploy-${funko.name}`} label="Deploy" />
        <ActionForm
          action={`${base}/deploy`}
          csrf={csrf}
          target={`#deploy-${funko.name}`}
          label="Force deploy"
          class="secondary outline"
          fields={{ force: "1" }}
        />
      </div>
      <SettingsList funko={funko} />
      <BuildHistory funko={funko} csrf={csrf} />
    </article>
  );
}

/** How instances of the latest build run: limits, scale, drain, env names (values stay private), healthcheck. */
function SettingsList(props: { funko: FunkoStatus }) {
  const settings = props.funko.settings;
  const health = settings.healthcheck;
  const env = Object.keys(settings.env);
  const rows: [string, string][] = [
    ["Memory", settings.memory ?? "unlimited"],
    ["CPUs", settings.cpus === undefined ? "unlimited" : String(settings.cpus)],
    ["Scale", scaleText(settings.scale) + (warmOf(settings) ? `, ${counted(warmOf(settings), "warm spare")}` : "")],
    ["Drain", settings.drain],
    ["Environment", env.length ? env.join(", ") : "none"],
    [
      "Healthcheck",
      `${health.command ?? "GET /ping"} every ${health.interval} (timeout ${health.timeout}, start period ` +
      `${health.start_period}, ${health.retries} retries)`,
    ],
  ];
  return (
    <details>
      <summary>Settings</summary>
      <dl class="settings" data-settings>
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Every build still kept, newest first; any but the latest can be deployed again. */
function BuildHistory(props: { funko: FunkoStatus; csrf: string }) {
  const { funko, csrf } = props;
  const running = new Set(funko.instances.map((instance) => instance.imageId));
  return (
    <details>
      <summary>Build history ({funko.images.length})</summary>
      <div class="overflow-auto">
        <table>
          <thead>
            <tr>
              <th scope="col">Tags</th>
              <th scope="col">Image</th>
              <th scope="col">Built</th>
              <th scope="col">Size</th>
              <th scope="col">Deploy</th>
            </tr>
          </thead>
          <tbody>
            {funko.images.map((image) => {
              const tag = image.tags.find((t) => t !== "latest");
              return (
                <tr key={image.id} data-build={tag ?? image.id}>
                  <td>
                    {image.tags.join(", ") || "untagged"}
                    {running.has(image.id) && <span class="badge ok">running</span>}
                  </td>
                  <td>
                    <code>{image.id.slice(7, 19)}</code>
                  </td>
                  <td>{ago(image.created)}</td>
                  <td>{(image.size / 1e6).toFixed(1)} MB</td>
                  <td>
                    {image.tags.includes("latest") || !tag ? "-" : (
                      <ActionForm
                        action={`/admin/funkos/${funko.name}/rollback`}
                        csrf={csrf}
                        target={`#deploy-${funko.name}`}
                        label="Deploy this build"
                        class="secondary outline"
                        fields={{ tag }}
                        confirm={`Deploy ${tag} of ${funko.name} in place of the latest build?`}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/**
 * A funko's card and, below it, where its deploys report: outside the card,
 * so that refreshing the card keeps a deploy's outcome on screen.
 */
export function FunkoSection(props: { funko: FunkoStatus; csrf: string }) {
  return (
    <section aria-label={props.funko.name}>
      <FunkoCard funko={props.funko} csrf={props.csrf} />
      <div id={`deploy-${props.funko.name}`}></div>
    </section>
  );
}

/** Where a deploy's (or a rollback's) progress appears while it runs. */
export function DeployProgress(props: { funko: string; job: string; what?: string }) {
  return (
    <div
      id={`deploy-${props.funko}`}
      data-job={`/admin/jobs/${props.job}/events`}
      data-refresh={`funko-${props.funko}`}
    >
      <p>
        {props.what ?? "Deploying"} {props.funko}: <span data-job-status class="badge warn">running</span>
      </p>
      <pre class="log" aria-live="polite"></pre>
    </div>
  );
}
