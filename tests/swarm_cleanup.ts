/**
 * Cleanup of the test swarms of tests/swarm.ts: a swarm's nodes, network and
 * the cgroups its nodes' engines made, and what killed runs left behind
 * (their registry processes and temporary folders too).
 *
 * @module
 */
import { join } from "node:path";

/** The label on every container and network a test swarm makes. */
export const LABEL = "faaso.test=swarm";

/** The output of a command. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command on the host, collecting its output. */
export async function run(cmd: string, args: string[], stdin?: ReadableStream<Uint8Array>): Promise<CommandOutput> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin) await stdin.pipeTo(child.stdin);
  const output = await child.output();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** Runs a command on the host; throws with its output when it fails. */
export async function runOk(cmd: string, args: string[]): Promise<string> {
  const output = await run(cmd, args);
  if (output.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${output.code}: ${output.stderr}`);
  return output.stdout;
}

/** Removes the node containers, cgroups and network whose names start with `prefix`. */
export async function removeSwarm(prefix: string): Promise<void> {
  const ids = (await runOk("docker", ["ps", "-aq", "--filter", `label=${LABEL}`, "--filter", `name=${prefix}`]))
    .split("\n").filter(Boolean);
  const names = ids.length
    ? (await runOk("docker", ["inspect", "-f", "{{.Name}}", ...ids])).split("\n").filter(Boolean)
      .map((name) => name.replace(/^\//, ""))
    : [];
  if (ids.length) await run("docker", ["rm", "-f", "-v", ...ids]);
  for (const name of names) await removeCgroups(`dind-${name}`);
  const networks =
    (await runOk("docker", ["network", "ls", "-q", "--filter", `label=${LABEL}`, "--filter", `name=${prefix}`]))
      .split("\n").filter(Boolean);
  if (networks.length) await run("docker", ["network", "rm", ...networks]);
}

/**
 * Removes a node's cgroups (its dockerd made them under the host's hierarchy:
 * they outlive the node), deepest first, in every controller. A cgroup whose
 * last process is still exiting is retried for a few seconds.
 */
async function removeCgroups(name: string): Promise<void> {
  const roots = (await cgroupRoots()).map((root) => join(root, name));
  for (let attempt = 0; attempt < 20; attempt++) {
    let left = 0;
    for (const root of roots) left += await removeTree(root);
    if (left === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The roots of the host's cgroup hierarchies: one per controller (v1), or one (v2). */
async function cgroupRoots(): Promise<string[]> {
  const roots = ["/sys/fs/cgroup"];
  for await (const entry of Deno.readDir("/sys/fs/cgroup")) {
    if (entry.isDirectory && !entry.name.startsWith("dind-")) roots.push(join("/sys/fs/cgroup", entry.name));
  }
  return roots;
}

/** rmdir of a cgroup tree, deepest first; returns how many directories are left. */
async function removeTree(path: string): Promise<number> {
  let left = 0;
  try {
    for await (const entry of Deno.readDir(path)) {
      if (entry.isDirectory) left += await removeTree(join(path, entry.name));
    }
    await Deno.remove(path);
    return left;
  } catch (error) {
    return error instanceof Deno.errors.NotFound ? left : left + 1;
  }
}

/** Whether a process runs (a test run that may still own its swarm). */
function alive(pid: string | undefined): boolean {
  if (!pid || !/^\d+$/.test(pid)) return false;
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what test runs that are gone (killed before they could clean up)
 * left behind: their nodes and networks (labelled with the run's pid), the
 * nodes' cgroups, their registry processes and temporary folders. Swarms of
 * runs whose process still runs are left alone, so it is safe beside them
 * (`deno eval 'await (await import("./tests/swarm_cleanup.ts")).sweepStale()'`).
 */
export async function sweepStale(): Promise<void> {
  const stale = new Set<string>();
  const live = new Set<string>();
  for (const [command, name] of [["ps", "{{.Names}}"], ["network", "{{.Name}}"]] as const) {
    const lines = (await runOk("docker", [
      ...(command === "ps" ? ["ps", "-a"] : ["network", "ls"]),
      "--filter",
      `label=${LABEL}`,
      "--format",
      `${name} {{.Label "faaso.test.pid"}}`,
    ])).split("\n").filter(Boolean);
    for (const line of lines) {
      const [name, pid] = line.split(" ");
      const id = name?.replace(/-(manager|worker\d+)$/, "");
      if (id) (alive(pid) ? live : stale).add(id);
    }
  }
  for (const id of stale) if (!live.has(id)) await removeSwarm(id);
  // Where this run and earlier ones (maybe with another TMPDIR) made their folders.
  const folders: string[] = [];
  for (const temp of new Set([Deno.env.get("TMPDIR") || "/tmp", "/tmp"])) {
    for await (const entry of Deno.readDir(temp)) {
      if (entry.isDirectory && /^faaso-swarm-[0-9a-f]{6}-/.test(entry.name)) folders.push(join(temp, entry.name));
    }
  }
  for (const folder of folders) {
    const id = /(faaso-swarm-[0-9a-f]{6})-[^/]*$/.exec(folder)?.[1];
    if (!id || live.has(id)) continue;
    const owner = await Deno.readTextFile(join(folder, "owner.pid")).catch(() => undefined);
    if (owner === undefined ? Date.now() - ((await Deno.stat(folder)).mtime?.getTime() ?? 0) < 600_000 : alive(owner)) {
      continue;
    }
    const registry = (await Deno.readTextFile(join(folder, "registry.pid")).catch(() => "")).trim();
    const command = alive(registry) ? await Deno.readTextFile(`/proc/${registry}/cmdline`).catch(() => "") : "";
    if (command.includes(folder)) Deno.kill(Number(registry), "SIGKILL");
    await removeSwarm(id);
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
  // Cgroups of nodes whose container is gone (a run killed while it disposed of its swarm).
  const orphans = new Set<string>();
  for (const root of await cgroupRoots()) {
    for await (const entry of Deno.readDir(root)) {
      const id = /^dind-(faaso-swarm-[0-9a-f]{6})-/.exec(entry.name)?.[1];
      if (entry.isDirectory && id && !live.has(id)) orphans.add(entry.name);
    }
  }
  for (const name of orphans) await removeCgroups(name);
}
