/**
 * The web UI's pages: login, the funko list, one funko (logs and secrets), and
 * the confirmation a destructive form asks for when JavaScript is off.
 *
 * @module
 */
import type { FunkoStatus } from "../../../core/status.ts";
import type { TrafficHistoryReport, TrafficReport, TrafficSummary } from "../../../core/traffic.ts";
import { VERSION } from "../../../core/version.ts";
import { DashboardTable, TrafficSection } from "./dashboard.tsx";
import { ActionForm, FunkoSection } from "./funko_card.tsx";
import { Layout, type ServerInfo } from "./layout.tsx";

/** The login form, with an error after a failed attempt. */
export function LoginPage(props: { error?: string }) {
  return (
    <Layout title="Log in">
      <article style="max-width: 28rem; margin: 2rem auto">
        <h1>Log in to FaaSO</h1>
        {props.error && (
          <p role="alert" id="login-error">
            <span class="badge bad">Error</span> {props.error}
          </p>
        )}
        <form method="post" action="/admin/login">
          <label>
            Admin password
            <input
              type="password"
              name="password"
              autocomplete="current-password"
              required
              autofocus
              aria-invalid={props.error ? "true" : undefined}
            />
          </label>
          <button type="submit">Log in</button>
        </form>
        <p>
          <small class="muted">
            The password is FAASO_PASSWORD, or the one faaso serve printed on its first start.
          </small>
        </p>
      </article>
    </Layout>
  );
}

/** The funko table, or how to get a first funko. */
export function DashboardPage(
  props: { funkos: FunkoStatus[]; traffic?: TrafficReport; csrf: string; info: ServerInfo },
) {
  return (
    <Layout title="Funkos" csrf={props.csrf} info={props.info}>
      <section>
        <h1>Funkos</h1>
        <p class="muted">
          FaaSO {VERSION} · Docker engine {props.info.engine} (API {props.info.api}) · data folder{" "}
          <code>{props.info.data}</code>
        </p>
      </section>
      {props.funkos.length === 0 ? <EmptyState /> : <DashboardTable funkos={props.funkos} traffic={props.traffic} />}
    </Layout>
  );
}

const FIRST_STEPS = [
  "faaso new -r deno hello",
  "export FAASO_SERVER=http://THIS-SERVER:8888",
  "faaso login",
  "faaso build hello",
  "faaso up hello",
].join("\n");

function EmptyState() {
  return (
    <article id="empty">
      <h2>No funkos yet</h2>
      <p>A funko is a folder with a funko.yml and a little code. Make one with the CLI, here or on any machine:</p>
      <pre><code>{FIRST_STEPS}</code></pre>
      <p>
        It then answers at <code>/funko/hello/</code> and shows up here.
      </p>
    </article>
  );
}

/** What a funko's page shows of its traffic: absent when metrics are off. */
export interface FunkoTraffic {
  summary?: TrafficSummary;
  history: TrafficHistoryReport;
  now: number;
}

/** One funko: its card, its traffic, its live logs and its secrets. */
export function FunkoPage(
  props: { funko: FunkoStatus; secrets: string[]; csrf: string; info: ServerInfo; traffic?: FunkoTraffic },
) {
  const { funko, csrf } = props;
  return (
    <Layout title={funko.name} csrf={csrf} info={props.info}>
      <p>
        <a href="/admin/">← All funkos</a>
      </p>
      <FunkoSection funko={funko} csrf={csrf} />
      <TrafficSection funko={funko.name} {...props.traffic} now={props.traffic?.now ?? Date.now()} />
      <section id="logs" data-logs={`/admin/funkos/${funko.name}/logs/stream?tail=200`} aria-labelledby="logs-title">
        <h2 id="logs-title">Logs</h2>
        <div class="actions">
          <label>
            <input type="checkbox" role="switch" name="follow" checked /> Follow
          </label>
          <small class="muted" data-log-status aria-live="polite">connecting</small>
        </div>
        <pre class="log" tabindex={0} aria-label={`Output of ${funko.name}'s instances`}></pre>
      </section>
      <SecretsSection funko={funko.name} names={props.secrets} csrf={csrf} />
      <section>
        <h2>Remove</h2>
        <ActionForm
          action={`/admin/funkos/${funko.name}/remove`}
          csrf={csrf}
          target="#flash"
          label={`Remove ${funko.name}`}
          class="danger"
          confirm={`Remove ${funko.name}: every instance, every image and its secrets? This cannot be undone.`}
        />
      </section>
    </Layout>
  );
}

/** A funko's secrets: names only, a form to add or replace one, delete buttons. */
export function SecretsSection(props: { funko: string; names: string[]; csrf: string; message?: string }) {
  const base = `/admin/funkos/${props.funko}/secrets`;
  return (
    <section id="secrets" aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p class="muted">
        Mounted read-only at <code>/secrets/NAME</code> in every instance. Values are write-only: they are never shown.
      </p>
      {props.message && (
        <p role="status">
          <span class="badge ok">Done</span> {props.message}
        </p>
      )}
      {props.names.length === 0 ? <p>No secrets.</p> : (
        <div class="overflow-auto">
          <table>
            <tbody>
              {props.names.map((name) => (
                <tr key={name}>
                  <td>
                    <code>{name}</code>
                  </td>
                  <td>
                    <ActionForm
                      action={`${base}/${name}/delete`}
                      csrf={props.csrf}
                      target="#secrets"
                      label="Delete"
                      class="danger outline"
                      confirm={`Delete the secret ${name} of ${props.funko}?`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form method="post" action={base} hx-post={base} hx-target="#secrets" hx-swap="outerHTML">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <fieldset class="grid">
          <label>
            Name
            <input name="name" required pattern="[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}" autocomplete="off" />
          </label>
          <label>
            Value
            <input type="password" name="value" required autocomplete="new-password" />
          </label>
        </fieldset>
        <button type="submit">Add or replace</button>
      </form>
    </section>
  );
}

/** Asks before a destructive action when the browser does not run htmx. */
export function ConfirmPage(props: { question: string; action: string; csrf: string; back: string; info: ServerInfo }) {
  return (
    <Layout title="Confirm" csrf={props.csrf} info={props.info}>
      <article>
        <h1>Are you sure?</h1>
        <p>{props.question}</p>
        <form method="post" action={props.action}>
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="confirm" value="yes" />
          <div class="actions">
            <button type="submit" class="contrast">Yes, do it</button>
            <a href={props.back} role="button" class="secondary">Cancel</a>
          </div>
        </form>
      </article>
    </Layout>
  );
}
