/**
 * The installed `faaso` command: the faaso task's permissions and flags, the
 * project's config and lockfile, and it works from any folder.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { cleanupFunko, FAASO_ARGS, ROOT, tempFolder, testDocker, uniqueName } from "./helpers.ts";
import { FAASO_ENV } from "./cli_args.ts";
import { installFaaso } from "./installed.ts";

async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const output = await new Deno.Command(command, {
    args,
    cwd,
    // A saved login of the person running the tests must not send these commands to a server.
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", XDG_CONFIG_HOME: `${cwd}/.no-login`, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

Deno.test("the installed faaso has exactly the faaso task's permissions, flags and environment, config and lockfile", async () => {
  await using root = await tempFolder();
  const faaso = await installFaaso(root.path);
  const launcher = await Deno.readTextFile(faaso);
  const exec = launcher.split("\n").find((line) => line.startsWith("exec deno run "));
  assert.ok(exec, launcher);
  const words = exec.slice("exec deno run ".length).split(" ");
  const config = words[words.indexOf("--config") + 1]!;
  const flags = words.filter((word, i) => word.startsWith("--") && word !== "--config" && words[i - 1] !== "--config");
  const taskFlags = FAASO_ARGS.filter((word) => word.startsWith("--"));
  assert.deepEqual(flags.toSorted(), taskFlags.toSorted(), "the same flags as deno task faaso");
  assert.equal(FAASO_ARGS[0], "run");
  // The task's variables, which Deno reads as it starts, are exported before the exec line; a caller's own value wins.
  const exported = launcher.split("\n").filter((line) => line.startsWith("export "));
  assert.deepEqual(
    exported,
    Object.entries(FAASO_ENV).map(([name, value]) => `export ${name}="\${${name}:-${value}}"`),
  );
  assert.ok(launcher.indexOf("export ") < launcher.indexOf("exec deno run "), launcher);
  assert.equal(FAASO_ENV.DENO_TOKIO_EVENT_INTERVAL, "1", "the proxy's reactor interval (bench/README.md)");
  assert.ok(exec.includes(`'${new URL("main.ts", `file://${ROOT}`).href}'`), exec);
  // deno install copies the config (adding an empty `workspace`) and the lockfile beside it.
  const { workspace: _, ...copied } = JSON.parse(await Deno.readTextFile(config));
  assert.deepEqual(copied, JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)));
  // The installed lockfile pins what main.ts uses, exactly as the project's does.
  const installedLock = JSON.parse(await Deno.readTextFile(join(dirname(config), "deno.lock")));
  const projectLock = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`));
  assert.ok(Object.keys(installedLock.specifiers).includes("npm:@commander-js/extra-typings@15.1.0"));
  for (const part of ["specifiers", "npm"]) {
    for (const [key, value] of Object.entries(installedLock[part])) {
      assert.deepEqual(value, projectLock[part][key], key);
    }
  }
});

Deno.test("the installed faaso works from any folder: new writes here, build . builds this folder", async () => {
  await using root = await tempFolder();
  await using folder = await tempFolder();
  using docker = testDocker();
  const faaso = await installFaaso(root.path);
  const name = uniqueName("it-inst");
  const path = `${dirname(faaso)}:${Deno.env.get("PATH")}`;
  try {
    const created = await run("faaso", ["new", name], folder.path, { PATH: path });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, new RegExp(`^Created ${name}/ \\(runtime deno\\)`));
    assert.equal(created.stderr, "", "no deno task banner, nothing else on stderr");
    assert.ok((await Deno.stat(join(folder.path, name, "funko.yml"))).isFile, "new wrote into the current folder");

    const built = await run("faaso", ["build", ".", "-q"], join(folder.path, name), { PATH: path });
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, new RegExp(`^Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest`));
    assert.ok(await docker.images.inspectOrNull(`faaso-${name}:latest`));
  } finally {
    await cleanupFunko(docker, name);
  }
});
