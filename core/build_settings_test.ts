import assert from "node:assert/strict";
import { FaasoError } from "./errors.ts";
import { buildSettingsFromEnv, checkBuildNetwork, checkGithubMirror, withDefaults } from "./build_settings.ts";

function env(values: Record<string, string>): Pick<typeof Deno.env, "get"> {
  return { get: (key: string) => values[key] };
}

Deno.test("checkGithubMirror keeps http(s) URLs without their final slash", () => {
  assert.equal(checkGithubMirror("http://github-mirror:8080/", "--github-mirror"), "http://github-mirror:8080");
  assert.equal(checkGithubMirror("https://example.com/github//", "x"), "https://example.com/github");
  assert.equal(checkGithubMirror("http://10.0.0.5", "x"), "http://10.0.0.5");
});

Deno.test("checkGithubMirror names the flag and the value it refuses", () => {
  for (const bad of ["github-mirror", "github-mirror:8080", "ftp://x", "http://x/?a=1", "http://x/#y", ""]) {
    assert.throws(
      () => checkGithubMirror(bad, "--github-mirror"),
      (error: unknown) =>
        error instanceof FaasoError && error.message.startsWith(`--github-mirror ${bad}: use an http`),
      bad,
    );
  }
});

Deno.test("checkBuildNetwork accepts network names and refuses the rest", () => {
  for (const good of ["host", "bridge", "faaso-net", "my_net.1"]) assert.equal(checkBuildNetwork(good, "x"), good);
  for (const bad of ["container:abc", "-x", "a b", ""]) {
    assert.throws(() => checkBuildNetwork(bad, "--build-network"), /--build-network .*: use a network's name/, bad);
  }
});

Deno.test("buildSettingsFromEnv reads both variables, empty as unset, and checks them", () => {
  assert.deepEqual(buildSettingsFromEnv(env({})), {});
  assert.deepEqual(buildSettingsFromEnv(env({ FAASO_GITHUB_MIRROR: "", FAASO_BUILD_NETWORK: "" })), {});
  assert.deepEqual(
    buildSettingsFromEnv(env({ FAASO_GITHUB_MIRROR: "http://m:8080/", FAASO_BUILD_NETWORK: "mirrors" })),
    { githubMirror: "http://m:8080", network: "mirrors" },
  );
  assert.throws(() => buildSettingsFromEnv(env({ FAASO_GITHUB_MIRROR: "m:8080" })), /^FaasoError: FAASO_GITHUB_MIRROR/);
  assert.throws(() => buildSettingsFromEnv(env({ FAASO_BUILD_NETWORK: "a b" })), /FAASO_BUILD_NETWORK a b/);
});

Deno.test("withDefaults takes each explicit setting over the default", () => {
  const defaults = { githubMirror: "http://server", network: "server-net" };
  assert.deepEqual(withDefaults({}, defaults), defaults);
  assert.deepEqual(withDefaults({ githubMirror: "http://mine" }, defaults), {
    githubMirror: "http://mine",
    network: "server-net",
  });
  assert.deepEqual(withDefaults({ network: "mine" }, {}), { network: "mine" });
  assert.deepEqual(withDefaults({}, {}), {});
});
