/**
 * `faaso completions`: the scripts loaded in real shells, asked what they
 * complete as the shell would ask them when a person presses Tab.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { faaso, faasoOk, tempFolder } from "./helpers.ts";

async function shell(command: string, args: string[], cwd: string): Promise<string> {
  const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.ok(output.success, `${command} ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  return text;
}

/** A folder with a funko (hello), a folder that is not one (notes), and the scripts. */
async function workspace(path: string): Promise<void> {
  await Deno.mkdir(join(path, "hello"));
  await Deno.writeTextFile(join(path, "hello", "funko.yml"), "name: hello\nruntime: deno\n");
  await Deno.mkdir(join(path, "notes"));
  for (const name of ["bash", "zsh", "fish"]) {
    const run = await faasoOk(["completions", name]);
    await Deno.writeTextFile(join(path, `faaso.${name}`), run.stdout);
  }
}

/** What bash's completion offers for `line` (Tab at its end). */
async function bashCompletes(folder: string, line: string): Promise<string[]> {
  const words = line.split(" ");
  const script = `source faaso.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
    `COMP_CWORD=${words.length - 1}; _faaso; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return (await shell("bash", ["-c", script], folder)).split("\n").filter(Boolean).sort();
}

Deno.test("bash completes commands, subcommands, options, runtimes, funkos and folders", async () => {
  await using folder = await tempFolder();
  await workspace(folder.path);
  const cases: [string, string[]][] = [
    ["faaso bu", ["build"]],
    ["faaso -l st", ["status"]],
    ["faaso build --no", ["--no-cache", "--no-runtime"]],
    ["faaso secret ", ["add", "ls", "rm"]],
    ["faaso secret add --f", ["--from-file"]],
    ["faaso new -r ", ["crystal", "deno", "list", "node", "python"]],
    ["faaso up ", ["hello"]],
    ["faaso deploy --timeout 5 ", ["hello"]],
    ["faaso build ", ["hello", "notes"]],
    ["faaso completions ", ["bash", "fish", "zsh"]],
    [
      "faaso invoke hello -",
      ["-H", "-X", "-d", "-h", "-i", "-l", "--data", "--header", "--help", "--include", "--local", "--request"].sort(),
    ],
  ];
  for (const [line, expected] of cases) assert.deepEqual(await bashCompletes(folder.path, line), expected, line);
  const all = await bashCompletes(folder.path, "faaso ");
  for (const command of ["new", "build", "up", "down", "scale", "deploy", "invoke", "serve", "completions", "help"]) {
    assert.ok(all.includes(command), `${command} in ${all}`);
  }
});

Deno.test("fish completes commands, subcommand options and runtimes", async () => {
  await using folder = await tempFolder();
  await workspace(folder.path);
  const complete = async (line: string) =>
    (await shell("fish", ["-c", `source faaso.fish; complete -C '${line}'`], folder.path)).split("\n")
      .filter(Boolean).map((entry) => entry.split("\t")[0]!).sort();
  assert.deepEqual(await complete("faaso bu"), ["build"]);
  assert.deepEqual(await complete("faaso secret "), ["add", "ls", "rm"]);
  assert.ok((await complete("faaso build --no")).includes("--no-cache"));
  assert.deepEqual(await complete("faaso new -r "), ["crystal", "deno", "list", "node", "python"]);
});

Deno.test("zsh loads the script and binds it to faaso", async () => {
  await using folder = await tempFolder();
  await workspace(folder.path);
  const bound = await shell("zsh", ["-c", "source ./faaso.zsh && print -r -- ${_comps[faaso]}"], folder.path);
  assert.match(bound, /_faaso/);
});

Deno.test("completions for an unknown shell names the ones there are", async () => {
  const run = await faaso(["completions", "tcsh"]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, "Error: Cannot complete for tcsh: the shells are bash, zsh, fish\n");
});
