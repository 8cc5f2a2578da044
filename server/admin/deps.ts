/**
 * What the admin side needs from `faaso serve`, in a module of its own: the
 * app, its API and its UI all take it, and none of them imports another for it.
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import type { DataFolder } from "../../core/data_folder.ts";
import type { InstanceBackend } from "../../core/instances.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import type { SecretBackend } from "../../core/secrets.ts";
import type { RoutingTable } from "../proxy/routing_table.ts";
import type { Credentials, LoginThrottle } from "./auth.ts";
import type { Invocations } from "../async/mod.ts";

/** What the server needs. */
export interface ServerDeps {
  /** The engine. */
  docker: Docker;
  /** Where instances come from. */
  instances: InstanceBackend;
  /** The lifecycle core's dependencies, with the routing table's drain hook. */
  lifecycle: LifecycleDeps;
  /** Routes to instances. */
  table: RoutingTable;
  /** The admin password and tokens. */
  credentials: Credentials;
  /** Failed login accounting. */
  throttle: LoginThrottle;
  /** The data folder. */
  data: DataFolder;
  /** Funko secrets. */
  secrets: SecretBackend;
  /** Async calls and schedules: their store, and the delivery loop's wake-up. */
  invocations: Pick<Invocations, "store" | "wake">;
  /** Aborts when the server stops: ends streams that would otherwise never end (followed logs). */
  stopping: AbortSignal;
}
