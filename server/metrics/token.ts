/**
 * The read-only metrics token: what Prometheus sends to scrape `/metrics`
 * (`authorization: credentials_file: DATA/metrics-token`), and what the CLI
 * on the server's machine uses for the traffic figures. It grants nothing
 * else; admin tokens are accepted in its place.
 *
 * @module
 */
import type { DataFolder } from "../../core/data_folder.ts";
import { metricsToken } from "../../core/local_server.ts";

/** The server's metrics token. */
export class MetricsToken {
  readonly #expected: Uint8Array;
  /** Where the token comes from, for the start-up line. */
  readonly source: string;

  private constructor(token: string, source: string) {
    this.#expected = new TextEncoder().encode(token);
    this.source = source;
  }

  /** FAASO_METRICS_TOKEN, else `DATA/metrics-token`, created on the first start. */
  static async load(data: DataFolder): Promise<MetricsToken> {
    const token = await metricsToken(data, true);
    const source = Deno.env.get("FAASO_METRICS_TOKEN")?.trim() ? "FAASO_METRICS_TOKEN" : data.metricsTokenFile;
    return new MetricsToken(token!, source);
  }

  /** A token given as is (tests). */
  static of(token: string): MetricsToken {
    return new MetricsToken(token, "given");
  }

  /** Whether `authorization` is `Bearer TOKEN` with this token; compared in constant time. */
  accepts(authorization: string | undefined): boolean {
    if (!authorization?.startsWith("Bearer ")) return false;
    const given = new TextEncoder().encode(authorization.slice(7).trim());
    if (given.length !== this.#expected.length) return false;
    let difference = 0;
    for (let i = 0; i < given.length; i++) difference |= given[i]! ^ this.#expected[i]!;
    return difference === 0;
  }
}
