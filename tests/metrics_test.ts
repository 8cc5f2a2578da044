/**
 * The traffic figures end to end: real requests through `faaso serve` to a
 * real instance, scraped by a real Prometheus (Debian's package, on the host,
 * its own config and storage in a temporary folder) with the metrics token,
 * and read back through Prometheus's query API; the access log of the same
 * requests; `faaso status` and `faaso top` (piped and in a pseudo-terminal)
 * asking the local server for the same figures.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  cleanupFunko,
  faaso,
  FAASO_ARGS,
  faasoOk,
  isolatedEnv,
  ROOT,
  tempFolder,
  testDocker,
  uniqueName,
  waitUntil,
} from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");
const PASSWORD = "metrics-test-password";

Deno.test("metrics: Prometheus scrapes faaso serve with the token; access log, status and top agree", async (t) => {
  using docker = testDocker();
  await using temp = await tempFolder();
  const name = uniqueName("it-metrics");
  const data = join(temp.path, "data");
  const folder = join(temp.path, "funko");
  const accessLog = join(temp.path, "access.log");
  await Deno.mkdir(folder);
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  await Deno.writeTextFile(join(folder, "funko.yml"), `name: ${name}\nruntime: deno\nhealthcheck:\n  interval: 1s\n`);
  const env = { FAASO_DATA: data };
  let prometheus: Deno.ChildProcess | undefined;
  try {
    await faasoOk(["build", folder, "-q"], { env });
    await faasoOk(["up", name], { env });
    await using server = await serve({ ...env, FAASO_PASSWORD: PASSWORD }, ["--access-log", accessLog]);
    await waitReady(server.url, name);
    const funko = `${server.url}/funko/${name}`;

    // 40 GETs with credentials, 10 POSTs with a body, 5 x 503, 7 x 404, 2 odd methods, 3 for no funko at all.
    const secrets = { authorization: "Bearer SECRET-AUTH-VALUE", cookie: "session=SECRET-COOKIE-VALUE" };
    for (let i = 0; i < 40; i++) await expect(fetch(`${funko}/?token=SECRET-QUERY`, { headers: secrets }), 200);
    for (let i = 0; i < 10; i++) {
      await expect(fetch(`${funko}/echo/x`, { method: "POST", body: "SECRET-BODY-VALUE" }), 200);
    }
    for (let i = 0; i < 5; i++) await expect(fetch(`${funko}/status/503`), 503);
    for (let i = 0; i < 7; i++) await expect(fetch(`${funko}/status/404`), 404);
    for (let i = 0; i < 2; i++) await expect(fetch(`${funko}/echo/y`, { method: "BREW" }), 200);
    for (let i = 0; i < 3; i++) await expect(fetch(`${server.url}/funko/no-such-${name}/`), 404);
    const sent = 64;

    const port = freePort();
    const api = `http://127.0.0.1:${port}/api/v1`;
    await t.step("a real Prometheus scrapes /metrics with the token, and not without it", async () => {
      const config = join(temp.path, "prometheus.yml");
      const target = new URL(server.url).host;
      await Deno.writeTextFile(
        config,
        [
          "global:",
          "  scrape_interval: 1s",
          "scrape_configs:",
          "  - job_name: faaso",
          "    authorization:",
          `      credentials_file: ${join(data, "metrics-token")}`,
          `    static_configs: [{ targets: ["${target}"] }]`,
          "  - job_name: anonymous",
          `    static_configs: [{ targets: ["${target}"] }]`,
          "",
        ].join("\n"),
      );
      prometheus = new Deno.Command("prometheus", {
        args: [
          `--config.file=${config}`,
          `--storage.tsdb.path=${join(temp.path, "tsdb")}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const log = new Response(prometheus.stderr).text();
      const ready = () =>
        fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(5000) }).then(
          (r) => r.body?.cancel().then(() => r.ok),
          () => false,
        );
      await waitUntil(async () => await ready() || !await stillRunning(prometheus!), "Prometheus to start", 60_000);
      if (!await stillRunning(prometheus)) assert.fail(`prometheus exited:\n${await log}`);
      await waitUntil(async () => (await query(api, 'up{job="faaso"}'))[0]?.value === 1, "a good scrape", 60_000);
      // Both jobs are scraped; the one without the token gets a 401, which Prometheus counts as down.
      await waitUntil(async () => (await query(api, 'up{job="anonymous"}')).length === 1, "the anonymous scrape");
      assert.equal((await query(api, 'up{job="anonymous"}'))[0]?.value, 0, "no token, no metrics");
    });

    await t.step("the request series read back through the query API match what was sent", async () => {
      const wanted = [["200", "GET", 40], ["200", "POST", 10], ["503", "GET", 5], ["404", "GET", 7], [
        "200",
        "_OTHER",
        2,
      ]];
      const series = await query(api, `faaso_requests_total{job="faaso",funko="${name}"}`);
      assert.deepEqual(
        series.map((s) => [s.metric.code, s.metric.method, s.value]).sort(),
        wanted.sort(),
        "by code and method",
      );
      assert.equal((await query(api, `faaso_requests_total{funko="no-such-${name}"}`)).length, 0, "no such funko");
      const count = await query(api, `sum(faaso_request_duration_seconds_count{job="faaso",funko="${name}"})`);
      assert.equal(count[0]?.value, sent);
      const buckets = await query(api, `count(faaso_request_duration_seconds_bucket{job="faaso",funko="${name}"})`);
      assert.equal(buckets[0]?.value, 3 * 15, "15 buckets (OpenTelemetry's 14 and +Inf) for each of 3 codes");
      const ready = await query(api, `faaso_instances{job="faaso",funko="${name}",state="ready"}`);
      assert.equal(ready[0]?.value, 1);
      const rss = await query(api, 'process_resident_memory_bytes{job="faaso"}');
      assert.ok(rss[0]!.value > 10e6, "the proxy's own memory");
      const clients = await query(api, 'faaso_open_connections{job="faaso",side="client"}');
      assert.ok(clients[0]!.value >= 1, "Prometheus's own connection at least");
      assert.equal((await query(api, 'count(faaso_event_loop_delay_seconds_bucket{job="faaso"})'))[0]?.value, 11);
    });

    await t.step("steady traffic shows as a rate, and its latency as a quantile", async () => {
      const until = Date.now() + 4000;
      let steady = 0;
      while (Date.now() < until) {
        await expect(fetch(`${funko}/`), 200);
        steady++;
      }
      await waitUntil(
        async () =>
          (await query(api, `sum(faaso_requests_total{job="faaso",funko="${name}"})`))[0]?.value === sent + steady,
        "the steady requests scraped",
      );
      // Sent over 4 s, so more than one a second on average in any 30 s window holding them all.
      const rate = `sum(rate(faaso_requests_total{job="faaso",funko="${name}"}[30s]))`;
      await waitUntil(async () => ((await query(api, rate))[0]?.value ?? 0) > 1, "a rate above 1/s");
      const p99 = await query(
        api,
        `histogram_quantile(0.99, sum by (le) (rate(faaso_request_duration_seconds_bucket{job="faaso",funko="${name}"}[30s])))`,
      );
      // A number within the buckets (this machine may be slow: no tighter bound).
      assert.ok(p99[0]!.value > 0 && p99[0]!.value <= 10, `p99 ${p99[0]?.value} s`);
    });

    await t.step("the access log has a line per request and no credential, body or query", async () => {
      let lines: Record<string, unknown>[] = [];
      await waitUntil(async () => {
        const text = await Deno.readTextFile(accessLog).catch(() => "");
        lines = text.trimEnd().split("\n").filter(Boolean).map((line) => JSON.parse(line));
        return lines.filter((line) => line.funko === name).length >= sent;
      }, "the access log lines");
      const text = await Deno.readTextFile(accessLog);
      for (const secret of ["SECRET-AUTH-VALUE", "SECRET-COOKIE-VALUE", "SECRET-BODY-VALUE", "SECRET-QUERY"]) {
        assert.ok(!text.includes(secret), `${secret} stays out of the access log`);
      }
      // Only this test's requests: on a shared machine a stranger may reach a port that was theirs a moment ago.
      const ours = lines.filter((line) => line.funko === name);
      const posted = ours.find((line) => line.method === "POST")!;
      assert.equal(posted.funko, name);
      assert.match(String(posted.instance), new RegExp(`^faaso-${name}-`));
      assert.equal(posted.path, `/funko/${name}/echo/x`);
      assert.equal(posted.status, 200);
      assert.ok(Number(posted.bytes) > 0);
      assert.equal(posted.client, "127.0.0.1");
      assert.ok(Number(posted.duration_ms) > 0);
      assert.equal(lines.filter((line) => line.funko === `no-such-${name}`).length, 3, "unknown names are logged");
      assert.equal(
        ours.filter((line) => line.status === 503).length,
        5,
        JSON.stringify(ours.filter((l) => l.status !== 200)),
      );
    });

    await t.step("faaso status and faaso top (piped) ask the local server for the last minute", async () => {
      const status = await faasoOk(["status", name], { env });
      assert.match(
        status.stdout,
        /traffic \(last minute\): [\d.,]+\/s, <?[\d.]+% errors, p50 [\d.]+ ms, p99 [\d.]+ ms/,
      );
      const json = JSON.parse((await faasoOk(["status", name, "--json"], { env })).stdout);
      assert.ok(json.traffic.requests >= sent, `requests in the last minute: ${json.traffic.requests}`);
      assert.ok(json.traffic.errors === 5, "the 503s are the errors");
      const top = await faasoOk(["top"], { env });
      const row = top.stdout.split("\n").find((line) => line.startsWith(name));
      assert.match(
        row ?? "",
        new RegExp(`^${name}\\s+1/1\\s+[\\d.,]+/s\\s+<?[\\d.]+%\\s+[\\d.]+ ms\\s+[\\d.]+ ms\\s+\\d+`),
      );
      assert.match(top.stdout, /FUNKO\s+READY\s+REQ\/S\s+ERRORS\s+P50\s+P99\s+IN FLIGHT/);
      const topJson = JSON.parse((await faasoOk(["top", name, "--json"], { env })).stdout);
      assert.equal(topJson.funkos[name].errors, 5);
    });

    await t.step("faaso top on a terminal redraws in place until Ctrl-C", async () => {
      // `exec`: without it the shell /bin/sh (dash) waits in the terminal's foreground and dies of the Ctrl-C (130).
      const command = "exec " + [Deno.execPath(), ...FAASO_ARGS, "top", "--interval", "0.5"].map(shellQuote).join(" ");
      const child = new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        env: isolatedEnv({ ...env, TERM: "xterm" }),
        clearEnv: true,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Ctrl-C once two frames are on the screen (at most 30 s): a slow start is not a failure.
      let text = "";
      const twoFrames = Promise.withResolvers<void>();
      const output = (async () => {
        for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
          text += chunk;
          if (text.split("\x1b[H\x1b[2J").length > 3) twoFrames.resolve();
        }
        twoFrames.resolve();
      })();
      const waited = setTimeout(() => twoFrames.resolve(), 30_000);
      await twoFrames.promise;
      clearTimeout(waited);
      // Ctrl-C, typed: the terminal turns it into SIGINT for faaso.
      const keys = child.stdin.getWriter();
      await keys.write(new Uint8Array([3]));
      const late = setTimeout(() => child.kill("SIGKILL"), 10_000);
      const [status] = await Promise.all([child.status, output]);
      clearTimeout(late);
      await keys.close().catch(() => {});
      await child.stderr.cancel();
      const frames = text.split("\x1b[H\x1b[2J").length - 1;
      assert.ok(frames >= 2, `redrawn in place (${frames} frames)`);
      assert.ok(text.includes(name), "the funko's row");
      assert.ok(text.includes("\x1b[?25h"), "the cursor comes back");
      assert.equal(status.code, 0);
    });

    await t.step("without the CLI's server the figures are left out, not an error", async () => {
      await server.stop();
      const status = await faasoOk(["status", name], { env });
      assert.ok(!status.stdout.includes("traffic"), "no server, no traffic line");
      const top = await faaso(["top"], { env });
      assert.equal(top.code, 1);
      assert.match(top.stderr, /Cannot show traffic: no faaso serve answers on this machine/);
    });
  } finally {
    if (prometheus) {
      if (await stillRunning(prometheus)) prometheus.kill("SIGTERM");
      await prometheus.status;
    }
    await cleanupFunko(docker, name);
  }
});

/** A sample from the query API: labels and value. */
interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An instant query through Prometheus's HTTP API. */
async function query(api: string, promql: string): Promise<Sample[]> {
  const response = await fetch(`${api}/query?query=${encodeURIComponent(promql)}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = await response.json() as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  assert.equal(body.status, "success", `query ${promql}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Waits until the proxy routes to the funko's instance (asked through the admin API, not the funko). */
async function waitReady(url: string, funko: string): Promise<void> {
  const { token } = await (await fetch(`${url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: PASSWORD }),
  })).json();
  let seen = "";
  await waitUntil(
    async () => {
      const routes = await (await fetch(`${url}/admin/api/routes`, { headers: { authorization: `Bearer ${token}` } }))
        .json() as Record<string, { ready: boolean }[]>;
      seen = JSON.stringify(routes[funko] ?? null);
      return routes[funko]?.some((route) => route.ready) ?? false;
    },
    "the instance to be routed",
    120_000,
  ).catch((error) => {
    throw new Error(`${error.message}; the proxy's routes of ${funko}: ${seen}`);
  });
}

async function expect(answer: Promise<Response>, status: number): Promise<void> {
  const response = await answer;
  await response.body?.cancel();
  assert.equal(response.status, status);
}

async function stillRunning(child: Deno.ChildProcess): Promise<boolean> {
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 10)),
  ]);
  return !exited;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
