/**
 * Any Docker image as a funko, on the real engine: an image built outside
 * FaaSO (no FaaSO label, port 8080, no /ping) runs behind the proxy, scales,
 * deploys a new tag under load, shows in status and the UI, and leaves with
 * `rm` while the user's image stays; a Dockerfile of one's own on port 5000
 * checked at /healthz; pulls from a real registry; and the errors a user
 * meets: an unknown image, a port that never opens, a health path that 404s.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { parse as parseYaml } from "yaml";
import {
  cleanupFunko,
  faaso,
  faasoOk,
  instancesOf,
  ROOT,
  tempFolder,
  testDocker,
  uniqueName,
  waitUntil,
} from "./helpers.ts";
import { buildAppImage, dockerCli, startRegistry, writeApp } from "./image_helpers.ts";
import { startLoad } from "./load.ts";
import { execInProxy, savedToken, startProxy } from "./proxy_helpers.ts";
import { serve } from "./serve_helpers.ts";

const SHOTS = join(ROOT, ".test-artifacts", "ui");

Deno.test("an image built outside FaaSO becomes a funko: proxy, scale, deploy under load, status, UI, rm", async (t) => {
  using docker = testDocker();
  await using work = await tempFolder();
  await using proxy = await startProxy(docker);
  const token = await savedToken(proxy);
  const name = uniqueName("it-img");
  const user = `it-user-app-${name}`;
  const base = `${proxy.url}/funko/${name}`;
  const folder = join(work.path, name);
  const readyRoutes = async () => {
    const response = await fetch(`${proxy.url}/admin/api/routes`, { headers: { authorization: `Bearer ${token}` } });
    return ((await response.json())[name] ?? []).filter((route: { ready: boolean }) => route.ready).length;
  };
  const v1 = await buildAppImage(`${user}:v1`, "v1");
  const v2 = await buildAppImage(`${user}:v2`, "v2");
  try {
    await t.step("faaso new --image writes a funko.yml that names the image and its port", async () => {
      const labels = (await docker.images.inspectOrNull(`${user}:v1`))?.Config.Labels ?? {};
      assert.deepEqual(Object.keys(labels).filter((key) => key.startsWith("faaso.")), [], "a user's own image");
      const created = await faasoOk(["new", name, "--image", `${user}:v1`, "--port", "8080"], { cwd: work.path });
      assert.match(created.stdout, new RegExp(`Created ${name}/funko.yml \\(image ${user}:v1\\)`));
      const manifest = parseYaml(await Deno.readTextFile(join(folder, "funko.yml")));
      assert.deepEqual(manifest, { name, image: `${user}:v1`, port: 8080, health: "none" });
      // Settings as any funko has them.
      const text = await Deno.readTextFile(join(folder, "funko.yml"));
      await Deno.writeTextFile(join(folder, "funko.yml"), `${text}env:\n  GREETING: hello\nmemory: 128m\nscale: 2\n`);
    });

    await t.step(
      "a remote build makes it faaso-NAME, labelled and tagged like a build, with no new layer",
      async () => {
        const built = await proxy.cli(["build", folder]);
        assert.equal(built.code, 0, built.stderr);
        assert.match(built.stdout, new RegExp(`Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest`));
        assert.match(built.stderr, new RegExp(`Using ${user}:v1 \\(${v1.slice(7, 19)}\\), which the engine has`));
        assert.doesNotMatch(built.stderr, /Uploading/, "nothing is uploaded: the server's engine has the image");
        const image = await docker.images.inspectOrNull(`faaso-${name}:latest`);
        const labels = image?.Config.Labels ?? {};
        assert.equal(labels["faaso.funko"], name);
        assert.equal(labels["faaso.image"], `${user}:v1`);
        assert.equal(JSON.parse(labels["faaso.settings"] ?? "{}").port, 8080);
        assert.match(labels["faaso.source-hash"] ?? "", /^[0-9a-f]{64}$/);
        assert.equal(image?.Size, (await docker.images.inspectOrNull(`${user}:v1`))?.Size, "no layer added");
        // The image now EXPOSEs its port: faaso new of it finds the port by itself.
        const guessed = await faasoOk(["new", "guessed", "--image", `faaso-${name}:latest`], { cwd: work.path });
        assert.match(guessed.stdout, /port 8080 from its EXPOSE/);
        assert.equal(parseYaml(await Deno.readTextFile(join(work.path, "guessed", "funko.yml"))).port, 8080);
      },
    );

    await t.step(
      "up: its settings apply, and it answers through the proxy on its own port, without /ping",
      async () => {
        const secret = await proxy.cli(["secret", "add", name, "token"], { stdin: "s3cr3t" });
        assert.equal(secret.code, 0, secret.stderr);
        const up = await proxy.cli(["up", name]);
        assert.equal(up.code, 0, up.stderr);
        assert.match(up.stdout, /2 instances running/, "scale: 2 is its default scale");
        const instances = await instancesOf(docker, name);
        for (const instance of instances) {
          assert.equal(instance.port, 8080);
          assert.equal(instance.healthPath, null);
          const inspect = await docker.containers.inspectOrNull(instance.id);
          assert.ok(inspect?.Config.Env?.includes("GREETING=hello"), "env");
          assert.equal(inspect?.HostConfig.Memory, 128 * 1024 * 1024, "memory");
          assert.ok(inspect?.Mounts?.some((mount) => mount.Destination === "/secrets"), "secrets at /secrets");
        }
        await waitUntil(async () => await readyRoutes() === 2, "2 ready routes");
        const answer = await fetch(`${base}/`);
        assert.equal(answer.status, 200);
        assert.match(await answer.text(), new RegExp(`^v1 (${instances.map((i) => i.name).join("|")})$`));
        const ping = await fetch(`${base}/ping`);
        assert.equal(ping.status, 404, "the app's own 404: FaaSO needed no /ping");
        await ping.body?.cancel();
      },
    );

    await t.step("scale to 3: requests reach all three", async () => {
      const scaled = await proxy.cli(["scale", name, "3"]);
      assert.equal(scaled.code, 0, scaled.stderr);
      await waitUntil(async () => await readyRoutes() === 3, "3 ready routes");
      const seen = new Set<string>();
      for (let i = 0; i < 60; i++) seen.add(await (await fetch(`${base}/`)).text());
      const names = (await instancesOf(docker, name)).map((instance) => `v1 ${instance.name}`).sort();
      assert.deepEqual([...seen].sort(), names);
      // Other containers on faaso-net reach it by name at its own port.
      const direct = await execInProxy(
        proxy,
        `exec 3<>/dev/tcp/${name}/8080 && printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3`,
      );
      assert.match(direct.output, /^HTTP\/1\.[01] 200/);
      assert.match(direct.output, new RegExp(`v1 faaso-${name}-\\w{6}$`));
    });

    await t.step("status shows the image, its port and its instances", async () => {
      const status = await proxy.cli(["status", name]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, new RegExp(`^${name}  image ${user}:v1  3 instances running `, "m"));
      assert.match(status.stdout, /serves: port 8080, ready when port 8080 accepts connections/);
      assert.equal(status.stdout.match(new RegExp(`faaso-${name}-\\w{6}  running`, "g"))?.length, 3);
      const json = JSON.parse((await proxy.cli(["status", name, "--json"])).stdout);
      assert.equal(json.image, `${user}:v1`);
      assert.deepEqual(json.instances.map((i: { port: number }) => i.port), [8080, 8080, 8080]);
    });

    await t.step("a new tag deploys under a load of 50 connections with no failed request", async () => {
      const manifest = await Deno.readTextFile(join(folder, "funko.yml"));
      await Deno.writeTextFile(join(folder, "funko.yml"), manifest.replace(`${user}:v1`, `${user}:v2`));
      const built = await proxy.cli(["build", folder, "-q"]);
      assert.equal(built.code, 0, built.stderr);
      const before = (await instancesOf(docker, name)).map((instance) => instance.id);
      const load = startLoad(`${base}/`, 50);
      await waitUntil(() => Promise.resolve(load.report.ok > 200), "the load to run");
      const deployed = await proxy.cli(["deploy", name]);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const report = await load.stop();
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.match(deployed.stdout, /Deployed .*3 new instances.*3 old ones drained and removed/);
      assert.equal(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
      const versions = new Set([...report.bodies.keys()].map((body) => body.split(" ")[0]));
      assert.deepEqual([...versions].sort(), ["v1", "v2"], "both versions answered, nothing else");
      const after = await instancesOf(docker, name);
      assert.equal(after.length, 3);
      assert.ok(after.every((instance) => !before.includes(instance.id)), "every instance was replaced");
      for (let i = 0; i < 10; i++) assert.match(await (await fetch(`${base}/`)).text(), /^v2 /);
      console.log(`image funko deploy under load: ${report.ok} requests, ${report.failed} failed`);
    });

    await t.step("the web UI shows it with its image and three instances", async () => {
      await Deno.mkdir(SHOTS, { recursive: true });
      const browser = await chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(`${proxy.url}/admin/`);
        await page.getByLabel("Admin password").fill(proxy.password);
        await page.getByRole("button", { name: "Log in" }).click();
        // The dashboard's row says what the funko runs; its card is on its page.
        const row = page.locator(`#row-${name}`);
        await row.waitFor();
        assert.match(await row.innerText(), new RegExp(`image ${user}:v2`));
        await row.getByRole("link", { name, exact: true }).click();
        const card = page.locator(`#funko-${name}`);
        await card.waitFor();
        assert.match(await card.locator("hgroup").innerText(), new RegExp(`image ${user}:v2 · port 8080 · 3 running`));
        assert.equal(await card.locator("tr[data-instance]").count(), 3);
        await card.screenshot({ path: join(SHOTS, "image-funko.png") });
      } finally {
        await browser.close();
      }
    });

    await t.step("a remote build of an unknown image fails with the engine's reason and changes nothing", async () => {
      const latest = (await docker.images.inspectOrNull(`faaso-${name}:latest`))?.Id;
      const broken = join(work.path, "broken");
      await Deno.mkdir(broken);
      await Deno.writeTextFile(join(broken, "funko.yml"), `name: ${name}\nimage: ${user}:nosuch\nport: 8080\n`);
      const built = await proxy.cli(["build", broken]);
      assert.equal(built.code, 1);
      assert.match(
        built.stderr,
        new RegExp(`Cannot build ${name}: the engine has no image ${user}:nosuch and cannot pull it: \\S`),
      );
      assert.equal((await docker.images.inspectOrNull(`faaso-${name}:latest`))?.Id, latest, "latest kept");
    });

    await t.step("rm removes the funko's instances and images, never the user's image", async () => {
      const removed = await proxy.cli(["rm", name, "--yes"]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal((await docker.containers.list({ label: [`faaso.funko=${name}`] })).length, 0);
      assert.equal((await docker.images.list({ reference: [`faaso-${name}`] })).length, 0);
      assert.equal((await docker.images.inspectOrNull(`${user}:v1`))?.Id, v1, "the user's v1 stays");
      assert.equal((await docker.images.inspectOrNull(`${user}:v2`))?.Id, v2, "the user's v2 stays");
    });
  } finally {
    await cleanupFunko(docker, name);
    for (const tag of ["v1", "v2"]) await docker.images.remove(`${user}:${tag}`, { force: true });
  }
});

Deno.test("port and health of one's own, pulls, and the errors: unknown image, a port that never opens, a 404 health path", async (t) => {
  using docker = testDocker();
  await using work = await tempFolder();
  const data = join(work.path, "data");
  const env = { FAASO_DATA: data };
  await using server = await serve({ ...env, FAASO_PASSWORD: crypto.randomUUID() });
  const own = uniqueName("it-own");
  const app = uniqueName("it-img");
  const user = `it-user-app-${app}`;
  const funko = (folder: string, manifest: string) =>
    Deno.mkdir(folder, { recursive: true }).then(() => Deno.writeTextFile(join(folder, "funko.yml"), manifest));
  await buildAppImage(`${user}:v1`, "v1");
  try {
    await t.step("a Dockerfile of its own on port 5000 is routed once GET /healthz answers, not before", async () => {
      const folder = join(work.path, own);
      await funko(folder, `name: ${own}\nport: 5000\nhealth: /healthz\n`);
      // Port 5000 accepts at once, but /healthz says 503 (and / says "early") for the first 1.5 s.
      await writeApp(folder, { APP_PORT: "5000", READY_AFTER_MS: "1500" });
      await faasoOk(["build", folder, "-q"], { env });
      await faasoOk(["up", own], { env });
      const answer = await fetch(`${server.url}/funko/${own}/`);
      assert.equal(answer.status, 200);
      assert.match(await answer.text(), /^v1 faaso-/, "the first request waited for /healthz, not the port");
      const [instance] = await instancesOf(docker, own);
      const labels = (await docker.containers.inspectOrNull(instance!.id))?.Config.Labels ?? {};
      assert.equal(labels["faaso.port"], "5000");
      assert.equal(labels["faaso.health"], "/healthz");
      const status = await faasoOk(["status", own], { env });
      assert.match(status.stdout, /serves: port 5000, ready when GET \/healthz answers 2xx or 3xx/);
    });

    await t.step("an image from a registry is pulled: the tag asked for, or latest, not every tag", async () => {
      await using registry = await startRegistry();
      const remote = `${registry.host}/${app}`;
      try {
        for (const tag of ["latest", "other"]) {
          await dockerCli(["tag", `${user}:v1`, `${remote}:${tag}`]);
          await dockerCli(["push", `${remote}:${tag}`]);
          await dockerCli(["rmi", `${remote}:${tag}`]);
        }
        const folder = join(work.path, "pulled");
        await funko(folder, `name: ${app}\nimage: ${remote}\nport: 8080\n`);
        const built = await faaso(["build", folder], { env });
        assert.equal(built.code, 0, built.stderr);
        assert.match(built.stderr, new RegExp(`Pulling ${remote}`));
        assert.match(built.stderr, new RegExp(`Status: Downloaded newer image for ${remote}:latest`));
        assert.ok(await docker.images.inspectOrNull(`${remote}:latest`), "latest was pulled");
        assert.equal(await docker.images.inspectOrNull(`${remote}:other`), null, "the other tag was not");
        const again = await faaso(["build", folder, "--pull"], { env });
        assert.equal(again.code, 0, again.stderr);
        assert.match(
          again.stderr,
          new RegExp(`Pulling ${remote}\n(.*\n)*.*Status: Image is up to date for ${remote}:latest`),
        );

        await funko(folder, `name: ${app}\nimage: ${registry.host}/nosuch:v1\nport: 8080\n`);
        const unknown = await faaso(["build", folder], { env });
        assert.equal(unknown.code, 1);
        assert.match(
          unknown.stderr,
          new RegExp(
            `Cannot build ${app}: the engine has no image ${registry.host}/nosuch:v1 and cannot pull it: .*manifest unknown`,
          ),
        );
      } finally {
        for (const tag of ["latest", "other"]) await docker.images.remove(`${remote}:${tag}`, { force: true });
      }
    });

    await t.step("an unknown image with no registry to ask: a clear error, nothing left behind", async () => {
      const folder = join(work.path, "unknown");
      const gone = uniqueName("it-gone");
      await funko(folder, `name: ${gone}\nimage: it-no-such-image-${gone}:1.0\n`);
      const built = await faaso(["build", folder], { env });
      assert.equal(built.code, 1);
      assert.match(
        built.stderr,
        new RegExp(`Cannot build ${gone}: the engine has no image it-no-such-image-${gone}:1\\.0 and cannot pull it: `),
      );
      assert.equal((await docker.images.list({ label: [`faaso.funko=${gone}`] })).length, 0);
    });

    const folder = join(work.path, app);
    await t.step("a port that never opens: deploy fails naming the port, the proxy's 503 says why", async () => {
      await funko(folder, `name: ${app}\nimage: ${user}:v1\nport: 8081\n`);
      await faasoOk(["build", folder, "-q"], { env });
      const deployed = await faaso(["deploy", app, "--timeout", "5"], { env });
      assert.equal(deployed.code, 1);
      assert.match(
        deployed.stderr,
        new RegExp(
          `Cannot deploy ${app}: faaso-${app}-\\w+ did not become healthy in 5 s \\(last check: port 8081 refused the connection\\)`,
        ),
      );
      assert.match(deployed.stderr, /app v1 listening on 8080/, "the instance's own output shows where it listens");
      assert.equal((await instancesOf(docker, app)).length, 0, "the new instances are removed");
      // up waits for the instance too, and would fail like the deploy: start it without waiting.
      await faasoOk(["up", app, "--no-wait"], { env });
      const answer = await fetch(`${server.url}/funko/${app}/`);
      assert.equal(answer.status, 503);
      assert.match(
        (await answer.json()).error.message,
        /no healthy instance right now \(faaso-.*: port 8081 refused the connection\)/,
      );
      await faasoOk(["down", app], { env });
    });

    await t.step("a health path that answers 404: deploy fails at once with what to change", async () => {
      await funko(folder, `name: ${app}\nimage: ${user}:v1\nport: 8080\nhealth: /nope\n`);
      await faasoOk(["build", folder, "-q"], { env });
      const started = performance.now();
      const deployed = await faaso(["deploy", app, "--timeout", "60"], { env });
      assert.equal(deployed.code, 1);
      assert.match(
        deployed.stderr,
        new RegExp(
          `Cannot deploy ${app}: faaso-${app}-\\w+ answers 404 to GET /nope on port 8080: set health in funko\\.yml`,
        ),
      );
      assert.ok(performance.now() - started < 30_000, "without waiting out the 60 s timeout");
      assert.equal((await instancesOf(docker, app)).length, 0);
    });
  } finally {
    await cleanupFunko(docker, own);
    await cleanupFunko(docker, app);
    await docker.images.remove(`${user}:v1`, { force: true });
  }
});
