/**
 * Scenario 15: the proxy container crashes. The proxy image (proxy.Dockerfile)
 * runs as the README says (socket mounted, on faaso-net, restart policy
 * `always`); its process gets `kill -9`, and the time to the first 200 for the
 * bench funko through it is measured: the engine's restart, Deno's start and
 * FaaSO's own start (engine, routes, listening). Peer, in the same rounds: a
 * Deno hello server in the same image with the same restart policy, killed
 * the same way: the engine's and Deno's part alone. Kills are 11 s apart, so
 * the engine's restart back-off (doubling for containers that ran under 10 s)
 * stays at its first 100 ms.
 *
 * @module
 */
import type { BenchContext } from "../lib/context.ts";
import { FUNKO } from "../lib/context.ts";
import { freePort, median, ROOT, run, runOk, sleep } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";
import { firstOk, waitAnswers } from "../lib/scaled.ts";

const IMAGE = "bench-proxy:latest";
const HELLO = 'Deno.serve({port:8888},()=>new Response("ok"))';

/** Milliseconds from a kill -9 of the container's process to the first 200 of `url`. */
async function recovery(container: string, url: string): Promise<number> {
  const pid = Number((await runOk("docker", ["inspect", "-f", "{{.State.Pid}}", container])).stdout.trim());
  const t0 = performance.now();
  Deno.kill(pid, "SIGKILL");
  return await firstOk(url, t0, 60_000);
}

/** Runs scenario 15 and adds its row. */
export async function proxyCrash(ctx: BenchContext): Promise<void> {
  const rounds = ctx.quick ? 3 : 6;
  const suffix = crypto.randomUUID().slice(0, 6);
  const proxy = `bench-proxy-crash-${suffix}`;
  const hello = `bench-hello-crash-${suffix}`;
  const [proxyPort, helloPort] = [freePort(), freePort()];
  await runOk("docker", ["build", "-q", "-f", `${ROOT}proxy.Dockerfile`, "-t", IMAGE, ROOT], { DOCKER_BUILDKIT: "0" });
  try {
    const common = ["run", "-d", "--restart", "always", "--network", "faaso-net"];
    await runOk("docker", [
      ...common,
      "--name",
      proxy,
      "-v",
      "/var/run/docker.sock:/var/run/docker.sock",
      "-e",
      `FAASO_PASSWORD=${crypto.randomUUID()}`,
      "-p",
      `127.0.0.1:${proxyPort}:8888`,
      IMAGE,
    ]);
    await runOk("docker", [
      ...common,
      "--name",
      hello,
      "-p",
      `127.0.0.1:${helloPort}:8888`,
      "--entrypoint",
      "deno",
      IMAGE,
      "run",
      "--allow-net",
      `data:application/javascript,${HELLO}`,
    ]);
    const through = `http://127.0.0.1:${proxyPort}/funko/${FUNKO}/`;
    const direct = `http://127.0.0.1:${helloPort}/`;
    await Promise.all([waitAnswers(through), waitAnswers(direct)]);
    const faaso: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await sleep(11_000);
      faaso.push(await recovery(proxy, through));
      peer.push(await recovery(hello, direct));
    }
    const label = "Deno hello container";
    ctx.rows.push({
      scenario: "15 proxy crash",
      metric: `kill -9 of the proxy container -> first 200 through it, median of ${rounds}`,
      unit: "ms",
      faaso: median(faaso),
      peers: { [label]: median(peer) },
      ratio: ratioText(median(faaso), median(peer), label),
      target: "<= 3000 ms",
      pass: median(faaso) <= 3000,
      note: `FaaSO's own part (median difference): ${(median(faaso) - median(peer)).toFixed(0)} ms`,
    });
    ctx.raw.proxyCrash = { faaso, peer };
  } finally {
    await run("docker", ["rm", "-f", proxy, hello]);
    await run("docker", ["rmi", IMAGE]);
  }
}
