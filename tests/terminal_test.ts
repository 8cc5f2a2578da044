/**
 * The CLI in a real pseudo-terminal, as a person runs it: every command that
 * shows progress or asks something, with colours, with NO_COLOR, on
 * TERM=dumb and under CI. Each run is checked for its exit code, the screen a
 * person reads at the end, and nothing there that should not be: a stack
 * trace, an escape sequence shown raw, a spinner left behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanupFunko, faasoOk, tempFolder, testDocker, uniqueName } from "./helpers.ts";
import { serve } from "./serve_helpers.ts";
import {
  COLOR_SEQUENCE,
  faasoInTerminal,
  screenProblems,
  SPINNER_FRAME,
  type TerminalOptions,
  type TerminalRun,
} from "./terminal.ts";

/** Runs `faaso ARGS` in a terminal and checks the exit code, the screen and what must not be on it. */
async function onScreen(
  args: string[],
  expected: { code?: number; shows: RegExp[]; hides?: string[] },
  options: TerminalOptions = {},
): Promise<TerminalRun> {
  const run = await faasoInTerminal(args, options);
  const context = `faaso ${args.join(" ")} (exit ${run.code}); screen:\n${run.text}`;
  assert.equal(run.code, expected.code ?? 0, context);
  for (const pattern of expected.shows) assert.match(run.text, pattern, context);
  for (const text of expected.hides ?? []) assert.ok(!run.text.includes(text), `${text} is on the screen: ${context}`);
  assert.deepEqual(screenProblems(run), [], context);
  return run;
}

Deno.test("the CLI in a terminal: progress, questions and hidden prompts", async (t) => {
  await using folder = await tempFolder();
  using docker = testDocker();
  const name = uniqueName("it-tty");
  const data = join(folder.path, "data");
  // No saved login of the person running the tests may send these commands to a server.
  const noLogin = join(folder.path, "no-login");
  const local: TerminalOptions = { cwd: folder.path, env: { FAASO_DATA: data, XDG_CONFIG_HOME: noLogin } };
  const built = new RegExp(`^Built faaso-${name}:\\d{8}T\\d{6}Z and faaso-${name}:latest \\(\\w{12}\\)$`, "m");
  // The builds after the first change nothing: the same image, no new tag.
  const unchanged = new RegExp(
    `^Nothing changed: faaso-${name}:\\d{8}T\\d{6}Z \\(\\w{12}\\) is this build, and latest$`,
    "m",
  );
  try {
    await faasoOk(["new", "-r", "deno", name], { cwd: folder.path });

    await t.step("build: a spinner while it works, cleared at the end, in colour", async () => {
      const run = await onScreen(["build", name], { shows: [built] }, local);
      assert.match(run.raw, SPINNER_FRAME, "a spinner ran");
      assert.match(run.raw, COLOR_SEQUENCE, "in colour");
      assert.match(run.text, /Step 1\/\d+ : FROM/, "the engine's output is shown above the spinner");
    });

    await t.step("build -q with NO_COLOR: a spinner, no colour", async () => {
      const run = await onScreen(["build", name, "-q"], { shows: [unchanged] }, {
        ...local,
        env: { ...local.env, NO_COLOR: "1" },
      });
      assert.match(run.raw, SPINNER_FRAME, "a spinner ran");
      assert.doesNotMatch(run.raw, COLOR_SEQUENCE, "no colour with NO_COLOR");
      assert.doesNotMatch(run.text, /Step 1\/\d+ : FROM/, "-q hides the engine's output");
    });

    await t.step("build on TERM=dumb: plain lines, not one escape sequence", async () => {
      const run = await onScreen(["build", name, "-q"], { shows: [unchanged, /^==> Building faaso-/m] }, {
        ...local,
        env: { ...local.env, TERM: "dumb" },
      });
      // Deno clears its own (unused) progress line when it starts on a terminal; nothing of FaaSO's escapes.
      const ours = run.raw.replaceAll("\x1b[0G\x1b[2K\x1b[J", "");
      assert.ok(!ours.includes("\x1b"), `an escape sequence on a dumb terminal: ${JSON.stringify(ours)}`);
    });

    await t.step("build under CI: plain progress lines, no spinner", async () => {
      const run = await onScreen(["build", name, "-q"], { shows: [unchanged, /^==> Building faaso-/m] }, {
        ...local,
        env: { ...local.env, CI: "true" },
      });
      assert.doesNotMatch(run.raw, SPINNER_FRAME);
    });

    await t.step("up, scale, deploy, down", async () => {
      const up = await onScreen(["up", name], { shows: [new RegExp(`^${name}: 1 instance running`, "m")] }, local);
      assert.match(up.raw, SPINNER_FRAME);
      await onScreen(["scale", name, "2"], { shows: [new RegExp(`^${name}: 2 instances running \\(was 1\\)`, "m")] }, {
        ...local,
        env: { ...local.env, NO_COLOR: "1" },
      });
      const deployed = await onScreen(["deploy", name, "--force"], {
        shows: [
          new RegExp(
            `^Deployed ${name}: 2 new instances of faaso-${name}:(\\d{8}T\\d{6}Z) \\(\\w{12}\\), 2 old ones drained and removed`,
            "m",
          ),
          new RegExp(`^${name} answers at http://localhost:8888/funko/${name}/ \\(through faaso serve`, "m"),
        ],
      }, local);
      // Status names the image by the same build tag, and says which number is which.
      const tag = /of faaso-\S+:(\d{8}T\d{6}Z)/.exec(deployed.text)![1];
      const status = await faasoOk(["status", name], { env: { FAASO_DATA: data, XDG_CONFIG_HOME: noLogin } });
      assert.match(status.stdout, new RegExp(`^${name}  runtime deno  2 instances running  latest ${tag} `, "m"));
      assert.match(status.stdout, /^ {2}settings of the latest image: faaso up starts 1, memory unlimited/m);
      await onScreen(["down", name], { shows: [new RegExp(`^${name}: 0 instances running \\(was 2\\)`, "m")] }, local);
    });

    await t.step("secret add asks for the value without showing it", async () => {
      await onScreen(["secret", "add", name, "api-key"], {
        shows: [new RegExp(`^Value of ${name}'s secret api-key: $`, "m"), /^Stored .* \(16 bytes\)/m],
        hides: ["hidden-s3cret-42"],
      }, { ...local, answers: [{ prompt: "secret api-key: ", type: "hidden-s3cret-42\r" }] });
      assert.equal(await Deno.readTextFile(join(data, "secrets", name, "api-key")), "hidden-s3cret-42");
    });

    await t.step("rm asks, and a no keeps everything", async () => {
      await onScreen(["rm", name], {
        code: 1,
        shows: [/\? \[y\/N\] n$/m, new RegExp(`^Error: Did not remove ${name}: not confirmed`, "m")],
      }, { ...local, answers: [{ prompt: "[y/N] ", type: "n\r" }] });
      assert.ok(await docker.images.inspectOrNull(`faaso-${name}:latest`), "the image is still there");
    });

    await t.step("rm asks, and a yes removes", async () => {
      await onScreen(["rm", name], {
        shows: [
          new RegExp(`^Remove ${name} from this machine: 0 instances, \\d+ images? and 1 secret\\? \\[y/N\\] y$`, "m"),
          new RegExp(`^Removed ${name}: 0 instances, \\d+ images?, 1 secret \\(from this machine's data folder `, "m"),
        ],
      }, { ...local, answers: [{ prompt: "[y/N] ", type: "y\r" }] });
      assert.equal(await docker.images.inspectOrNull(`faaso-${name}:latest`), null);
    });

    await t.step("login asks for the password without showing it; then a remote build shows progress", async () => {
      await using server = await serve({ FAASO_DATA: data, FAASO_PASSWORD: "terminal-pass-1" });
      const config = join(folder.path, "config");
      await onScreen(["login", "--server", server.url], {
        shows: [/^Admin password: $/m, new RegExp(`^Logged in to ${server.url.replaceAll(".", "\\.")}`, "m")],
        hides: ["terminal-pass-1"],
      }, {
        ...local,
        env: { XDG_CONFIG_HOME: config },
        answers: [{ prompt: "Admin password: ", type: "terminal-pass-1\r" }],
      });
      const remote = await onScreen(["build", name, "-q"], { shows: [built] }, {
        ...local,
        env: { XDG_CONFIG_HOME: config },
      });
      assert.match(remote.raw, /Uploading \d+ files to http/, "the remote build's progress was shown");
      assert.match(remote.raw, SPINNER_FRAME);
    });
  } finally {
    await cleanupFunko(docker, name);
  }
});
