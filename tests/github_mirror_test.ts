/**
 * Builds behind a mirror of github.com, with a funko whose own Dockerfile only
 * shows what its RUN step got: the build argument GITHUB_MIRROR, and what it
 * fetched from there by name. Local mode (flags, FAASO_* variables) and remote
 * mode (the server's setting, a build's own flags), and the errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faaso, tempFolder, testDocker, uniqueName } from "./helpers.ts";
import { MIRROR_URL, startMirror } from "./mirror_helpers.ts";
import { startProxy } from "./proxy_helpers.ts";

/** The commit the mirror's kemal.git names for v1.3.0 (mirror/MANIFEST.txt). */
const KEMAL_REFS = /ae7cda829162ea27668b3fc79cd1868026e25098\s+refs\/tags\/v1\.3\.0/;

/**
 * A RUN step that prints the argument and, when set, GETs kemal.git's refs from it
 * with bash's /dev/tcp (the base image has no curl).
 */
const PROBE_DOCKERFILE = `FROM debian:bookworm-slim
ARG GITHUB_MIRROR
RUN echo "mirror=[$GITHUB_MIRROR]" \\
 && if [ -n "$GITHUB_MIRROR" ]; then \\
      bash -c 'rest=\${GITHUB_MIRROR#http://}; host=\${rest%%[:/]*}; port=\${rest#*:}; \\
        exec 3<>/dev/tcp/$host/\${port%%/*} \\
        && printf "GET /kemalcr/kemal.git/info/refs HTTP/1.0\\r\\nHost: $host\\r\\n\\r\\n" >&3 && cat <&3'; \\
    fi
CMD ["true"]
`;

function mirrorSeen(run: { stderr: string }): string | undefined {
  return /mirror=\[([^\]$]*)\]/.exec(run.stderr)?.[1];
}

Deno.test("builds reach a github mirror by name: flags, variables, the server's setting", async (t) => {
  using docker = testDocker();
  await using mirror = await startMirror(docker, { aliases: ["other-mirror"] });
  await using folder = await tempFolder();
  const name = uniqueName("it-mirror");
  const bad = uniqueName("it-mirror-bad");
  await Deno.writeTextFile(join(folder.path, "funko.yml"), `name: ${name}\n`);
  await Deno.writeTextFile(join(folder.path, "Dockerfile"), PROBE_DOCKERFILE);
  const build = (args: string[], env: Record<string, string> = {}) =>
    faaso(["build", "--local", "--no-cache", ...args, folder.path], { env });
  try {
    await t.step("unset: the argument is empty, as before", async () => {
      const run = await build([]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(mirrorSeen(run), "");
    });

    await t.step("--github-mirror and --build-network: the RUN step fetches from the mirror by name", async () => {
      const run = await build(["--github-mirror", `${MIRROR_URL}/`, "--build-network", mirror.network]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(mirrorSeen(run), MIRROR_URL, "the final slash dropped");
      assert.match(run.stderr, KEMAL_REFS);
      assert.match(run.stderr, new RegExp(`GitHub from ${MIRROR_URL}, RUN steps on the network ${mirror.network}`));
    });

    await t.step("FAASO_GITHUB_MIRROR and FAASO_BUILD_NETWORK are the defaults; flags win", async () => {
      const env = { FAASO_GITHUB_MIRROR: MIRROR_URL, FAASO_BUILD_NETWORK: mirror.network };
      const run = await build([], env);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(mirrorSeen(run), MIRROR_URL);
      assert.match(run.stderr, KEMAL_REFS);
      const flagged = await build(["--github-mirror", "http://other-mirror:8080"], env);
      assert.equal(flagged.code, 0, flagged.stderr);
      assert.equal(mirrorSeen(flagged), "http://other-mirror:8080");
      assert.match(flagged.stderr, KEMAL_REFS);
    });

    await t.step("a bad URL or a missing network: a clear error, no image", async () => {
      const cases: [string[], Record<string, string>, RegExp][] = [
        [["--github-mirror", "ftp://x"], {}, /--github-mirror ftp:\/\/x: use an http:\/\/ or https:\/\/ URL/],
        [[], { FAASO_GITHUB_MIRROR: "github-mirror" }, /FAASO_GITHUB_MIRROR github-mirror: use an http/],
        [["--build-network", "no such"], {}, /--build-network no such: use a network's name/],
        [["--build-network", `${mirror.network}-gone`], {}, new RegExp(`no network ${mirror.network}-gone`)],
      ];
      for (const [args, env, message] of cases) {
        const run = await build(["--name", bad, ...args], env);
        assert.equal(run.code, 1, `${args.join(" ")}: ${run.stderr}`);
        assert.match(run.stderr, message);
        assert.equal((await docker.images.list({ reference: [`faaso-${bad}`] })).length, 0);
      }
      const serve = await faaso(["serve", "--port", "0", "--build-network", "a:b"], {
        env: { FAASO_GITHUB_MIRROR: "http://ok", FAASO_DATA: join(folder.path, "never-made") },
      });
      assert.equal(serve.code, 1);
      assert.match(serve.stderr, /--build-network a:b: use a network's name/);
      const serveEnv = await faaso(["serve", "--port", "0"], {
        env: { FAASO_GITHUB_MIRROR: "nonsense", FAASO_DATA: join(folder.path, "never-made") },
      });
      assert.equal(serveEnv.code, 1);
      assert.match(serveEnv.stderr, /FAASO_GITHUB_MIRROR nonsense: use an http/);
    });

    await t.step(
      "remote: the server's setting applies, a build's flags replace it, this machine's do not",
      async () => {
        await using proxy = await startProxy(docker, {
          env: { FAASO_GITHUB_MIRROR: MIRROR_URL, FAASO_BUILD_NETWORK: mirror.network },
        });
        const remote = (args: string[], env: Record<string, string> = {}) =>
          proxy.cli(["build", "--no-cache", ...args, folder.path], { env });
        const logs = await new Deno.Command("docker", { args: ["logs", proxy.id], stdout: "piped" }).output();
        assert.match(
          new TextDecoder().decode(logs.stdout),
          new RegExp(`Builds: GitHub from ${MIRROR_URL}, RUN steps on the network ${mirror.network}`),
        );
        const run = await remote([], { FAASO_GITHUB_MIRROR: "http://only-here.invalid", FAASO_BUILD_NETWORK: "nope" });
        assert.equal(run.code, 0, run.stderr);
        assert.equal(mirrorSeen(run), MIRROR_URL);
        assert.match(run.stderr, KEMAL_REFS);
        const flagged = await remote(["--github-mirror", "http://other-mirror:8080"]);
        assert.equal(flagged.code, 0, flagged.stderr);
        assert.equal(mirrorSeen(flagged), "http://other-mirror:8080");
        assert.match(flagged.stderr, KEMAL_REFS);
        const missing = await proxy.cli([
          "build",
          "--name",
          bad,
          "--build-network",
          `${mirror.network}-gone`,
          folder.path,
        ]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, new RegExp(`no network ${mirror.network}-gone`));
      },
    );
  } finally {
    await cleanupFunko(docker, name);
    await cleanupFunko(docker, bad);
  }
});
