/**
 * The web UI's traffic views in a real headless Chromium, after real
 * requests through `faaso serve` to a real instance: the dashboard's row
 * shows what was sent and follows new traffic by itself; the funko's page
 * shows the last minute and charts with data points that update live; a
 * table of 30 funkos stays dense. Screenshots go to .test-artifacts/ui/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium, type Page } from "playwright-core";
import type { FunkoStatus } from "../core/status.ts";
import type { TrafficReport } from "../core/traffic.ts";
import { DashboardPage } from "../server/admin/ui/pages.tsx";
import { cleanupFunko, faasoOk, ROOT, tempFolder, testDocker, uniqueName, waitUntil } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

const ECHO = join(ROOT, "tests", "fixtures", "echo");
const SHOTS = join(ROOT, ".test-artifacts", "ui");
const PASSWORD = "traffic-ui-test-password";

Deno.test("the web UI shows each funko's traffic: dashboard row, figures and live charts", async (t) => {
  using docker = testDocker();
  await using temp = await tempFolder();
  await Deno.mkdir(SHOTS, { recursive: true });
  const name = uniqueName("it-traffic");
  const data = join(temp.path, "data");
  const folder = join(temp.path, "funko");
  await Deno.mkdir(folder);
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(ECHO, file), join(folder, file));
  await Deno.writeTextFile(join(folder, "funko.yml"), `name: ${name}\nruntime: deno\nhealthcheck:\n  interval: 1s\n`);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
  try {
    await faasoOk(["build", folder, "-q"], { env: { FAASO_DATA: data } });
    await faasoOk(["up", name], { env: { FAASO_DATA: data } });
    await using server = await serve({ FAASO_DATA: data, FAASO_PASSWORD: PASSWORD });
    const admin = `${server.url}/admin/`;
    const funko = `${server.url}/funko/${name}`;
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await login(page, admin);
    await waitUntil(async () => (await get(`${funko}/`)) === 200, "the instance to answer through the proxy", 60_000);
    // 1 request above, 29 more 200s, 6 x 500, 4 x 404: 40, of which 15% errors.
    for (let i = 0; i < 29; i++) assert.equal(await get(`${funko}/`), 200);
    for (let i = 0; i < 6; i++) assert.equal(await get(`${funko}/status/500`), 500);
    for (let i = 0; i < 4; i++) assert.equal(await get(`${funko}/status/404`), 404);

    await t.step("the dashboard's row shows what was sent", async () => {
      await page.goto(admin);
      const row = page.locator(`#row-${name}`);
      await row.waitFor();
      assert.equal(await row.getAttribute("data-requests"), "40");
      assert.equal(await row.locator("[data-cell=errors]").innerText(), "15%");
      assert.equal(await row.locator("[data-cell=rps]").getAttribute("title"), "40 requests");
      assert.match(await row.locator("[data-cell=rps]").innerText(), /^[\d.]+\/s$/);
      assert.match(await row.locator("[data-cell=p50]").innerText(), /^[\d.]+ ms$/);
      assert.match(await row.locator("[data-cell=p99]").innerText(), /^[\d.]+ ms$/);
      assert.equal(await row.locator(".count").innerText(), "1/1");
      assert.equal(await row.locator(".dot.ok").count(), 1);
      assert.equal(await row.locator(`a[href="/funko/${name}/"]`).count(), 1, "the public URL");
      assert.equal(await row.locator(`a[href="/admin/funkos/${name}"]`).count(), 1, "the funko's page");
      const spark = row.locator("svg.spark");
      assert.equal(await spark.getAttribute("aria-label"), "40 requests in the last 15 minutes");
      assert.equal(await spark.locator("polyline").getAttribute("data-points"), "90");
      await page.screenshot({ path: join(SHOTS, "dashboard-traffic.png"), fullPage: true });
    });

    await t.step("the dashboard follows new traffic by itself", async () => {
      for (let i = 0; i < 10; i++) assert.equal(await get(`${funko}/`), 200);
      const row = page.locator(`#row-${name}`);
      await waitUntil(async () => await row.getAttribute("data-requests") === "50", "the row to count 50", 20_000);
      assert.equal(await row.locator("[data-cell=errors]").innerText(), "12%", "6 of 50");
    });

    await t.step("the funko's page shows the last minute and charts with data points", async () => {
      await page.locator(`#row-${name}`).getByRole("link", { name, exact: true }).click();
      const traffic = page.locator("#traffic");
      await traffic.waitFor();
      assert.equal(await traffic.locator("[data-figure=requests]").innerText(), "50 requests");
      assert.equal(await traffic.locator("[data-figure=errors]").innerText(), "12%");
      const points = (chart: string, series: string) =>
        traffic.locator(`#${chart} path[data-series="${series}"]`).getAttribute("data-points").then(Number);
      for (
        const [chart, series] of [
          ["chart-rps", "2xx"],
          ["chart-rps", "4xx"],
          ["chart-rps", "5xx"],
          [
            "chart-latency",
            "p50",
          ],
          ["chart-latency", "p99"],
          ["chart-instances", "ready"],
        ]
      ) {
        assert.ok(await points(chart!, series!) >= 1, `${chart} ${series} has data points`);
      }
      await page.screenshot({ path: join(SHOTS, "funko-traffic.png"), fullPage: true });
    });

    await t.step("the charts update live", async () => {
      const traffic = page.locator("#traffic");
      for (let i = 0; i < 5; i++) assert.equal(await get(`${funko}/status/503`), 503);
      await waitUntil(
        async () => await traffic.locator("[data-figure=requests]").innerText() === "55 requests",
        "the figures to count 55",
        25_000,
      );
      const latest = await traffic.locator('#chart-rps path[data-series="5xx"]').getAttribute("d");
      assert.ok(latest && latest.length > 4, "the 5xx line is drawn");
    });

    await t.step("thirty funkos stay a dense, readable table", async () => {
      const wide = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const many = await wide.newPage();
      await login(many, admin);
      const html = String(DashboardPage(syntheticDashboard(30)));
      await many.setContent(html.replace('hx-trigger="every 5s"', ""), { waitUntil: "load" });
      const rows = many.locator("table.dense tbody tr");
      assert.equal(await rows.count(), 30);
      const height = await many.locator("table.dense").evaluate((table: { clientHeight: number }) =>
        table.clientHeight
      );
      assert.ok(height < 30 * 40, `30 rows in ${height} px`);
      const overflow = await many.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
      assert.ok(overflow <= 1, `no sideways scrolling at 1280 px (${overflow} px too wide)`);
      await many.screenshot({ path: join(SHOTS, "dashboard-30.png"), fullPage: true });
      await wide.close();
    });
  } finally {
    await browser.close();
    await cleanupFunko(docker, name);
  }
});

async function login(page: Page, admin: string): Promise<void> {
  await page.goto(admin);
  await page.getByLabel("Admin password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("h1", { hasText: "Funkos" }).waitFor();
}

async function get(url: string): Promise<number> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** What the dashboard would show for `count` busy funkos. */
function syntheticDashboard(count: number): Parameters<typeof DashboardPage>[0] {
  const created = new Date(Date.now() - 3 * 3600_000).toISOString();
  const funkos: FunkoStatus[] = [];
  const traffic: TrafficReport = { at: new Date().toISOString(), windowSeconds: 300, funkos: {} };
  for (let i = 0; i < count; i++) {
    const name = `service-${String(i).padStart(2, "0")}-${["api", "worker", "hooks"][i % 3]}`;
    const instances = Array.from({ length: 1 + (i % 4) }, (_, n) => ({
      id: `${i}-${n}`,
      name: `faaso-${name}-${n}`,
      funko: name,
      state: "running" as const,
      port: 3000,
      healthPath: "/ping",
      health: (n === 3 ? "starting" : "healthy") as "starting" | "healthy",
      imageId: "sha256:1",
      created,
      outOfDate: false,
    }));
    funkos.push({
      name,
      runtime: ["deno", "node", "python"][i % 3]!,
      image: "",
      scale: instances.length,
      settings: {} as FunkoStatus["settings"],
      latest: { id: "sha256:1", tags: ["latest", "20261130T080000Z"], created, size: 1e8 },
      images: [],
      instances,
    });
    const spark = Array.from({ length: 90 }, (_, s) => Math.round(50 + 40 * Math.sin((s + i) / 6)));
    traffic.funkos[name] = {
      requests: 1000 * (i + 1),
      rps: 3.3 * (i + 1),
      errors: i % 5,
      errorRate: (i % 5) / (1000 * (i + 1)),
      p50Ms: 1.2 + i / 10,
      p99Ms: 12 + i,
      inFlight: i % 3,
      instances: { ready: instances.length, total: instances.length },
      spark,
    };
  }
  return { funkos, traffic, csrf: "0", info: { engine: "20.10.24", api: "1.41", data: "/data" } };
}
