/**
 * Scenario 11: large bodies. One instance; 100 MB downloads (`GET
 * /bytes/100000000`, with a Content-Length) and uploads (`POST /sink` of a
 * 100 MB file) by curl, one at a time, direct to the instance and through
 * FaaSO, nginx, Caddy and socat (a plain TCP relay: the copy floor), in rounds
 * whose order alternates; MB/s is the median. Then the proxies' resident
 * memory while 1 GiB passes each way.
 *
 * @module
 */
import { type BenchContext, directUrl, proxyUrl, scaleTo, waitScaled } from "../lib/context.ts";
import { type PeerProxy, startCaddy, startNginx, startSocat } from "../lib/peers.ts";
import { median, rssMb, run, sampleMaxRss } from "../lib/proc.ts";
import { ratioText } from "../lib/report.ts";

/** The large body, in bytes (MB/s counts 10^6 bytes, as scenario 2 does). */
const SIZE = 100_000_000;
/** The body that passes while memory is sampled. */
const GIB = 2 ** 30;
/** The memory target: the highest RSS while 1 GiB passes, above the RSS before it. */
const FLAT_MB = 32;

/** One transfer by curl: seconds, and whether the status and the byte count were right. */
async function curl(url: string, bytes: number, upload?: string): Promise<number> {
  // No `Expect: 100-continue`: curl would wait up to 1 s for a 100 from servers that do not send one.
  const args = upload
    ? ["-sS", "-X", "POST", "-H", "Expect:", "-T", upload, "-w", "\n%{http_code} %{time_total}", url]
    : ["-sS", "-o", "/dev/null", "-w", "%{size_download}\n%{http_code} %{time_total}", url];
  const result = await run("curl", args);
  const [count, status] = result.stdout.trim().split("\n");
  const [code, seconds] = (status ?? "").split(" ");
  if (result.code !== 0 || code !== "200" || Number(count) !== bytes) {
    throw new Error(
      `curl ${upload ? "upload to" : "download from"} ${url}: exit ${result.code}, status ${code}, ${count} bytes ${
        upload ? "received" : "read"
      } of ${bytes}: ${result.stderr.trim()}`,
    );
  }
  return Number(seconds);
}

/** Runs scenario 11 and adds its rows. */
export async function largeBodies(ctx: BenchContext): Promise<void> {
  const [instance] = await scaleTo(ctx, 1);
  const upstreams = [`${instance!.ip}:3000`];
  const peers: PeerProxy[] = [];
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-bodies-" });
  try {
    // Sparse files: read as zeros, and they take no disk.
    const file100 = `${dir}/100mb`;
    const fileGib = `${dir}/1gib`;
    for (const [file, size] of [[file100, SIZE], [fileGib, GIB]] as const) {
      await Deno.writeFile(file, new Uint8Array(0));
      await Deno.truncate(file, size);
    }
    const nginx = await startNginx(upstreams);
    peers.push(nginx);
    const caddy = await startCaddy(upstreams);
    peers.push(caddy);
    const socat = await startSocat(upstreams[0]!);
    peers.push(socat);
    const base: Record<string, string> = {
      direct: directUrl(instance!, ""),
      faaso: proxyUrl(ctx, ""),
      nginx: nginx.url,
      caddy: caddy.url,
      socat: socat.url,
    };
    const rounds = ctx.quick ? 3 : 7;
    const down: Record<string, number[]> = {};
    const up: Record<string, number[]> = {};
    const names = Object.keys(base);
    // On a loaded machine the instance's health check may fail while it sends 100 MB (its one thread busy), and FaaSO
    // then rightly answers 503: wait until it is ready again and retry once, noted, as what is measured is the body path.
    // Any other failure counts as an error of that target (nginx answered a 100 MB upload 502 once), and its figure is
    // the median of the transfers that went through.
    let retries = 0;
    const errors: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
    const transfer = async (name: string, bytes: number, upload?: string): Promise<number> => {
      const url = `${base[name]}${upload ? "/sink" : `/bytes/${bytes}`}`;
      try {
        try {
          return await curl(url, bytes, upload);
        } catch (error) {
          if (name !== "faaso" || !/status 503/.test((error as Error).message)) throw error;
          retries++;
          await waitScaled(ctx, 1, 60_000);
          return await curl(url, bytes, upload);
        }
      } catch (error) {
        errors[name]!.push((error as Error).message.replace(/\s+/g, " ").slice(0, 200));
        return NaN;
      }
    };
    await curl(`${base.faaso}/bytes/1000`, 1000); // the proxy's connection to the instance
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 ? [...names].reverse() : names) {
        (down[name] ??= []).push(SIZE / 1e6 / await transfer(name, SIZE));
        (up[name] ??= []).push(SIZE / 1e6 / await transfer(name, SIZE, file100));
      }
    }
    const errorNote = () => names.map((name) => `${name} ${errors[name]!.length}`).join(", ");
    const mbps = (figures: Record<string, number[]>) =>
      Object.fromEntries(Object.entries(figures).map(([name, list]) => [name, median(list.filter(Number.isFinite))]));
    for (const [what, figures] of [["download", mbps(down)], ["upload", mbps(up)]] as const) {
      const faaso = figures.faaso!;
      const direct = figures.direct!;
      ctx.rows.push({
        scenario: `11 100 MB ${what}`,
        metric: `MB/s, median of ${rounds}`,
        unit: "MB/s",
        faaso,
        peers: { direct, nginx: figures.nginx!, caddy: figures.caddy!, "socat (copy floor)": figures.socat! },
        ratio: `${ratioText(faaso, direct, "direct")}, ${ratioText(faaso, figures.caddy!, "caddy")}, ${
          ratioText(faaso, figures.socat!, "socat")
        }; socat ${ratioText(figures.socat!, direct, "direct")}`,
        target: ">= 0.8x direct",
        pass: faaso >= 0.8 * direct && errors.faaso!.length === 0,
        note: `errors ${errorNote()}; FaaSO's runs: ${
          (what === "download" ? down : up).faaso!.map(Math.round).join(", ")
        }${retries ? `; ${retries} retried after a 503 (instance unhealthy)` : ""}`,
      });
    }

    // Memory while 1 GiB passes, each way, through each proxy.
    const memory: Record<string, Record<string, { before: number; max: number }>> = {};
    const pids: Record<string, number> = { faaso: ctx.proxy.pid, nginx: nginx.pid, caddy: caddy.pid };
    for (const what of ["download", "upload"] as const) {
      for (const [name, pid] of Object.entries(pids)) {
        const before = await rssMb(pid, true);
        const sampler = sampleMaxRss(pid);
        await transfer(name, GIB, what === "upload" ? fileGib : undefined);
        (memory[what] ??= {})[name] = { before, max: await sampler.stop() };
      }
      const figures = memory[what]!;
      const growth = (name: string) => figures[name]!.max - figures[name]!.before;
      ctx.rows.push({
        scenario: `11 1 GiB ${what}`,
        metric: "proxy RSS growth while it passes",
        unit: "MB",
        faaso: growth("faaso"),
        peers: { nginx: growth("nginx"), caddy: growth("caddy") },
        ratio: "",
        target: `<= ${FLAT_MB} MB`,
        pass: growth("faaso") <= FLAT_MB && errors.faaso!.length === 0,
        note: `highest RSS sampled every 100 ms: faaso ${figures.faaso!.max.toFixed(1)} MB (before ${
          figures.faaso!.before.toFixed(1)
        }), nginx ${figures.nginx!.max.toFixed(1)}, caddy ${
          figures.caddy!.max.toFixed(1)
        }; errors so far ${errorNote()}`,
      });
    }
    ctx.raw.largeBodies = { sizeBytes: SIZE, download: down, upload: up, memory, retries, errors };
  } finally {
    for (const peer of peers) await peer.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
