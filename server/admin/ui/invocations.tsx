/**
 * A funko's async queue (depth and failures) and its schedules (next and last
 * run, last result), as its card shows them.
 *
 * @module
 */
import type { FunkoStatus } from "../../../core/status.ts";
import { ago } from "../../../core/time.ts";

/** The async calls and schedules of a funko; nothing when it has neither. */
export function InvocationsSection(props: { funko: FunkoStatus }) {
  const { calls, schedules = [] } = props.funko;
  const hasCalls = calls && (calls.queued + calls.running + calls.failed + calls.done + calls.acceptedTotal) > 0;
  if (!hasCalls && schedules.length === 0) return null;
  return (
    <div class="invocations" data-invocations={props.funko.name}>
      {hasCalls && (
        <p data-calls>
          Async calls: <span class={`badge ${calls.queued ? "warn" : "ok"}`}>{calls.queued} queued</span>{" "}
          <span class="badge ok">{calls.running} running</span>{" "}
          <span class={`badge ${calls.failed ? "bad" : "ok"}`}>{calls.failed} failed</span>{" "}
          <span class="muted">
            · {calls.done} done in the last hour · {calls.deliveredTotal} delivered, {calls.failedTotal} failed in all
          </span>
          {calls.failed > 0 && (
            <>
              <br />
              <small class="muted">
                <code>faaso calls {props.funko.name} --state failed</code>, then <code>faaso calls retry ID</code>
              </small>
            </>
          )}
        </p>
      )}
      {schedules.length > 0 && (
        <div class="overflow-auto">
          <table data-schedules>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">When</th>
                <th scope="col">Request</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {schedules.map((entry) => (
                <tr key={entry.name} data-schedule={entry.name}>
                  <td>{entry.name}</td>
                  <td>
                    <code>{entry.cron}</code> {entry.timezone}
                  </td>
                  <td>
                    <code>{entry.request}</code>
                  </td>
                  <td>
                    {entry.next ? <time datetime={entry.next}>{entry.next.replace(".000Z", "Z")}</time> : "never"}
                  </td>
                  <td>{entry.last ? <time datetime={entry.last}>{ago(entry.last)}</time> : "not yet"}</td>
                  <td>
                    {entry.running
                      ? <span class="badge warn">running</span>
                      : entry.lastResult === null
                      ? "-"
                      : <span class={`badge ${entry.lastOk ? "ok" : "bad"}`}>{entry.lastResult}</span>}
                    {entry.skipped > 0 && <small class="muted">{` ${entry.skipped} skipped (overlap)`}</small>}
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
