/**
 * A funko's status as the server shows it (admin API and web UI alike): what
 * the engine says (core/status.ts), its async calls and schedules, and what
 * the proxy knows of its activity: asleep or awake, its last request, the
 * autoscaler's target.
 *
 * @module
 */
import { withInvocations } from "../../core/calls.ts";
import { type FunkoStatus, status } from "../../core/status.ts";
import type { ServerDeps } from "./deps.ts";

/** Every funko's status, or (with `name`) one funko's; an unknown name is an error. */
export async function funkoStatuses(deps: ServerDeps, name?: string): Promise<FunkoStatus[]> {
  const funkos = await withInvocations(await status(deps.lifecycle, name), deps.invocations.store);
  const scaling = deps.scaling;
  return scaling ? funkos.map((funko) => ({ ...funko, activity: scaling.activity(funko.name) })) : funkos;
}
