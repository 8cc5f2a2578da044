/**
 * `faaso invoke` and the URL `up` prints: a real funko behind a real
 * `faaso serve`, reached locally (FAASO_URL) and as a remote server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, faasoOk, tempFolder, testDocker, uniqueName, waitForHttp } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";

const ROUTES = `import { Hono } from "hono";
const app = new Hono();
app.get("/", (c) => c.text("Hello World Deno!"));
app.on(["POST", "PUT"], "/echo", async (c) =>
  c.text(\`\${c.req.method} \${c.req.header("content-type")} \${c.req.header("x-note") ?? "-"} \${await c.req.text()}\`));
export default app;
`;

Deno.test("invoke sends one request through the proxy, local or remote; up prints the funko's URL", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-invoke");
  await using server = await serve({ FAASO_DATA: join(folder.path, "data"), FAASO_PASSWORD: "a-password-1" });
  const local = { env: { FAASO_URL: server.url } };
  try {
    await faasoOk(["new", name], { cwd: folder.path });
    await Deno.writeTextFile(join(folder.path, name, "funko.ts"), ROUTES);
    await faasoOk(["build", name, "-q"], { cwd: folder.path });

    await t.step("up says where the funko answers", async () => {
      const up = await faasoOk(["up", name], local);
      assert.match(
        up.stdout,
        new RegExp(
          `^${name} answers at ${server.url}/funko/${name}/ \\(through faaso serve; FAASO_URL if it runs elsewhere\\)$`,
          "m",
        ),
      );
      await waitForHttp(`${server.url}/funko/${name}/`);
    });

    await t.step("a GET, a POST of JSON with a header, and a 404", async () => {
      const get = await faasoOk(["invoke", name], local);
      assert.equal(get.stdout, "Hello World Deno!");
      const post = await faasoOk(["invoke", name, "/echo", "-d", '{"a": 1}', "-H", "X-Note: hi"], local);
      assert.equal(post.stdout, 'POST application/json hi {"a": 1}');
      const stdin = await faasoOk(["invoke", name, "echo", "-d", "-", "-X", "put"], { ...local, stdin: "plain" });
      assert.equal(stdin.stdout, "PUT text/plain; charset=utf-8 - plain");
      const missing = await faaso(["invoke", name, "/nope"], local);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `Error: GET ${server.url}/funko/${name}/nope answered 404 Not Found\n`);
    });

    await t.step("remote: through the server's proxy, and it says so", async () => {
      const remote = await faasoOk(["invoke", name, "-i"], { env: { FAASO_SERVER: server.url } });
      assert.match(remote.stdout, /^HTTP\/1\.1 200 OK\n(.+\n)+\nHello World Deno!$/);
      assert.equal(remote.stderr, `On ${server.url} (from FAASO_SERVER; -l for this machine)\n`);
    });

    await t.step("no proxy there: the error says where it looked and what to set", async () => {
      const run = await faaso(["invoke", name], { env: { FAASO_URL: "http://127.0.0.1:1" } });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^Error: Cannot reach the proxy at http:\/\/127\.0\.0\.1:1: .*FAASO_URL names a local one/,
      );
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
