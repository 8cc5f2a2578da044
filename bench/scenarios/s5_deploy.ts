/**
 * Scenario 5: deploy under load. Two instances serve 50 connections of steady
 * load through the proxy (Deno fetch loops) while `faaso deploy bench-hello
 * --force` replaces them; every non-200 and every network error is a failure.
 *
 * @module
 */
import { type BenchContext, FUNKO, proxyUrl, scaleTo } from "../lib/context.ts";
import { startLoad } from "../../tests/load.ts";
import { FAASO_ARGS, run, sleep } from "../lib/proc.ts";

/** Connections of load during the deploy. */
export const CONNECTIONS = 50;

/** Runs scenario 5 and adds its rows. */
export async function deployUnderLoad(ctx: BenchContext): Promise<void> {
  await scaleTo(ctx, 2);
  const load = startLoad(proxyUrl(ctx), CONNECTIONS);
  let deploy;
  try {
    await sleep(1000);
    deploy = await run(Deno.execPath(), [...FAASO_ARGS, "deploy", FUNKO, "--force", "--local"]);
    await sleep(1000);
  } finally {
    const report = await load.stop();
    ctx.raw.deploy = { ...report, deployMs: deploy?.ms, deployCode: deploy?.code };
    const total = report.ok + report.failed;
    ctx.rows.push({
      scenario: `5 deploy under load c${CONNECTIONS}`,
      metric: "failed requests",
      unit: "count",
      faaso: report.failed,
      peers: { total },
      ratio: "",
      target: "0",
      pass: report.failed === 0 && deploy?.code === 0,
      note: [
        deploy?.code === 0 ? `deploy took ${(deploy.ms / 1000).toFixed(1)} s` : `deploy exited ${deploy?.code}`,
        `${Math.round(total / (report.ms / 1000)).toLocaleString("en-US")} req/s meanwhile`,
        ...report.failures.slice(0, 2),
      ].join("; "),
    });
  }
  if (deploy.code !== 0) throw new Error(`faaso deploy exited ${deploy.code}: ${deploy.stderr}`);
}
