/**
 * What the admin side needs from `faaso serve`, in a module of its own: the
 * app, its API and its UI all take it, and none of them imports another for it.
 *
 * @module
 */
import type { Docker } from "../../docker/mod.ts";
import type { BuildSettings } from "../../core/build_settings.ts";
import type { DataFolder } from "../../core/data_folder.ts";
import type { InstanceBackend } from "../../core/instances.ts";
import type { LifecycleDeps } from "../../core/scale.ts";
import type { SecretBackend } from "../../core/secrets.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { MetricsToken } from "../metrics/token.ts";
import type { RoutingTable } from "../proxy/routing_table.ts";
import type { Scaling } from "../proxy/scaling.ts";
import type { Credentials, LoginThrottle } from "./auth.ts";
import type { Invocations } from "../async/mod.ts";
import type { ContextLimits } from "./upload.ts";

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
  /** Sleep, wake and autoscaling: what status shows, what faaso sleep and wake ask for. */
  scaling?: Pick<Scaling, "activity" | "sleeper">;
  /** The admin password and tokens. */
  credentials: Credentials;
  /** Failed login accounting. */
  throttle: LoginThrottle;
  /** The data folder. */
  data: DataFolder;
  /** Funko secrets. */
  secrets: SecretBackend;
  /** The traffic figures; undefined when metrics are off (--no-metrics). */
  metrics?: Metrics;
  /** The read-only token for /metrics and the traffic figures. */
  metricsToken: MetricsToken;
  /** Async calls and schedules: their store, and the delivery loop's wake-up. */
  invocations: Pick<Invocations, "store" | "wake">;
  /** Aborts when the server stops: ends streams that would otherwise never end (followed logs). */
  stopping: AbortSignal;
  /** The mirror and network of the builds it does, unless a build asks for others. */
  build?: BuildSettings;
  /** How many builds of each funko to keep (DATA/config.yml keep_builds, FAASO_KEEP_BUILDS). */
  keepBuilds: number;
  /** Limits on a remote build's upload; the defaults of upload.ts unless given. */
  uploadLimits?: ContextLimits;
}
