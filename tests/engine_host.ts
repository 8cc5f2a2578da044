/**
 * The host side of a test's second Docker engine: a numbered slot (its
 * folders, network namespace, link to the host, address ranges, firewall rules
 * and cgroup, all named after the slot), claimed so that two engines never
 * share one, and a sweep that removes everything of a slot, whatever state its
 * engine was left in.
 *
 * The engine runs in a network namespace of its own, linked to the host by a
 * veth pair, because a second dockerd in the host's namespace damages the
 * host's engine: one that manages iptables flushes the DOCKER and
 * DOCKER-ISOLATION chains they share at every start, and one started with
 * `--default-address-pool` deletes the interface named docker0 at every start
 * after its first ("Clear stale bridge network" in moby's daemon_unix.go; seen
 * here: the host's builds then fail with "could not find bridge docker0").
 * In its own namespace it manages its own iptables and bridges like any engine;
 * the host routes the slot's address pool to it.
 *
 * Everything here is synchronous on purpose: the sweep also runs from an
 * `unload` listener, where nothing asynchronous finishes.
 *
 * @module
 */
import { join } from "node:path";
import { processExists } from "./sandbox.ts";

/** Where slots keep their sockets, pid files and exec roots. */
export const RUN_ROOT = "/run/faaso-test-engines";
/** Where slots keep their data roots. */
export const DATA_ROOT = "/var/lib/faaso-test-engines";
/** How many engines can run at once on one host. */
export const SLOTS = 32;

/** Everything a slot's engine owns on the host, named after the slot number. */
export interface SlotLayout {
  /** 0 to SLOTS - 1. */
  slot: number;
  /** `faaso-test-engine-N`: the firewall rules' comment and the containers' cgroup parent. */
  tag: string;
  /** The engine's network namespace, `faaso-teN` (/run/netns/faaso-teN). */
  netns: string;
  /** The host's end of the link to the namespace, `faaso-teN`. */
  hostLink: string;
  /** The host's address on the link, `10.212.N.1` (/30). */
  hostAddress: string;
  /** The namespace's end of the link (its name inside the namespace). */
  engineLink: string;
  /**
   * The engine's address on the link, `10.212.N.2`: where ports it publishes
   * are reached from the host (its 127.0.0.1 is its own).
   */
  engineAddress: string;
  /** The range reserved for the link: `10.212.N.0/24`. */
  linkRange: string;
  /** Where the engine's networks come from, routed to its namespace: `10.(213+N).0.0/16`, in /24 networks. */
  pool: string;
  /** The slot's folder: owner file, socket, pid file, log, exec root, daemon.json. */
  runDir: string;
  /** The engine's `--data-root`. */
  dataRoot: string;
  /** The engine's `--exec-root`. */
  execRoot: string;
  /** The engine's API socket. */
  socketPath: string;
  /** The engine's `--pidfile`. */
  pidFile: string;
  /** The engine's output. */
  logFile: string;
}

/** The names and paths of slot `slot`. */
export function slotLayout(slot: number): SlotLayout {
  const runDir = join(RUN_ROOT, String(slot));
  return {
    slot,
    tag: `faaso-test-engine-${slot}`,
    netns: `faaso-te${slot}`,
    hostLink: `faaso-te${slot}`,
    hostAddress: `10.212.${slot}.1`,
    engineLink: "uplink",
    engineAddress: `10.212.${slot}.2`,
    linkRange: `10.212.${slot}.0/24`,
    pool: `10.${213 + slot}.0.0/16`,
    runDir,
    dataRoot: join(DATA_ROOT, String(slot)),
    execRoot: join(runDir, "exec"),
    socketPath: join(runDir, "docker.sock"),
    pidFile: join(runDir, "docker.pid"),
    logFile: join(runDir, "dockerd.log"),
  };
}

/**
 * Claims a free slot for this process: the first whose folder this process
 * creates and whose address ranges nothing on the host uses (routes, or the
 * address pools of other dockerd processes). A slot left by a test process
 * that is gone is swept and reused.
 */
export function claimSlot(): SlotLayout {
  Deno.mkdirSync(RUN_ROOT, { recursive: true, mode: 0o700 });
  for (let slot = 0; slot < SLOTS; slot++) {
    const layout = slotLayout(slot);
    if (!createExclusive(layout.runDir)) {
      if (!isStale(layout)) continue;
      sweepSlot(layout);
      if (!createExclusive(layout.runDir)) continue;
    }
    const taken = takenRanges(layout.hostLink);
    if (taken.some((range) => overlaps(range, layout.linkRange) || overlaps(range, layout.pool))) {
      Deno.removeSync(layout.runDir, { recursive: true });
      continue;
    }
    Deno.writeTextFileSync(join(layout.runDir, "owner"), String(Deno.pid));
    // What a crash may have left of the slot without its folder (its namespace, say).
    sweepSlot(layout, { keepRunDir: true });
    return layout;
  }
  throw new Error(`Cannot start a test engine: all ${SLOTS} slots in ${RUN_ROOT} are in use or their ranges are taken`);
}

function createExclusive(path: string): boolean {
  try {
    Deno.mkdirSync(path, { mode: 0o700 });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}

/** A slot is stale when the process that claimed it is gone (or it never wrote its owner after a minute). */
function isStale(layout: SlotLayout): boolean {
  try {
    const owner = Number(Deno.readTextFileSync(join(layout.runDir, "owner")));
    return !owner || !processExists(owner);
  } catch {
    try {
      return Date.now() - (Deno.statSync(layout.runDir).mtime?.getTime() ?? 0) > 60_000;
    } catch {
      return true;
    }
  }
}

/**
 * Removes everything of a slot's engine from the host: its processes (dockerd,
 * containerd, shims, the containers in its cgroup, docker-proxy processes
 * forwarding to its addresses), mounts, network namespace (with its links and
 * its own firewall rules), the host's link and rules for it, cgroups and
 * folders. Safe to run on a slot in any state, and touches nothing outside it.
 */
export function sweepSlot(layout: SlotLayout, options: { keepRunDir?: boolean } = {}): void {
  const pids = new Set<number>();
  const dockerd = readPid(layout.pidFile);
  if (dockerd && cmdline(dockerd).includes(layout.socketPath)) pids.add(dockerd);
  for (const pid of allPids()) {
    const line = cmdline(pid);
    if (line.includes(layout.execRoot) || line.includes(layout.socketPath)) pids.add(pid);
    const forwardsTo = /-container-ip (\S+)/.exec(line)?.[1];
    if (line.includes("docker-proxy") && forwardsTo && overlaps(`${forwardsTo}/32`, layout.pool)) pids.add(pid);
  }
  for (const pid of cgroupPids(layout)) pids.add(pid);
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  waitGone([...pids], 10_000);
  for (const mount of mountsUnder([layout.dataRoot, layout.runDir])) sh("umount", ["-l", mount]);
  if (exists(`/run/netns/${layout.netns}`)) sh("ip", ["netns", "delete", layout.netns]);
  if (sh("ip", ["link", "show", layout.hostLink]).code === 0) sh("ip", ["link", "delete", layout.hostLink]);
  removeFirewall(layout);
  removeCgroups(layout);
  for (const dir of options.keepRunDir ? [layout.dataRoot] : [layout.dataRoot, layout.runDir]) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/**
 * Creates the slot's network namespace, linked to the host: the host routes
 * the slot's pool to it, forwards its traffic and masquerades it on the way
 * out (rules tagged with the slot's name); inside, a default route to the
 * host, and a DOCKER-USER rule that lets the host reach containers directly
 * as it reaches the host engine's (dockerd keeps that chain as it finds it).
 */
export function createNetwork(layout: SlotLayout): void {
  const inside = (...args: string[]) => shOk("nsenter", [`--net=/run/netns/${layout.netns}`, ...args]);
  shOk("ip", ["netns", "add", layout.netns]);
  shOk("ip", [
    "link",
    "add",
    layout.hostLink,
    "type",
    "veth",
    "peer",
    "name",
    layout.engineLink,
    "netns",
    layout.netns,
  ]);
  shOk("ip", ["addr", "add", `${layout.hostAddress}/30`, "dev", layout.hostLink]);
  shOk("ip", ["link", "set", layout.hostLink, "up"]);
  inside("ip", "link", "set", "lo", "up");
  inside("ip", "addr", "add", `${layout.engineAddress}/30`, "dev", layout.engineLink);
  inside("ip", "link", "set", layout.engineLink, "up");
  inside("ip", "route", "add", "default", "via", layout.hostAddress);
  shOk("ip", ["route", "add", layout.pool, "via", layout.engineAddress, "dev", layout.hostLink]);
  inside("iptables", "-w", "-N", "DOCKER-USER");
  inside("iptables", "-w", "-A", "DOCKER-USER", "-i", layout.engineLink, "-j", "ACCEPT");
  const tag = ["-m", "comment", "--comment", layout.tag];
  shOk("iptables", ["-w", "-I", "FORWARD", "1", "-i", layout.hostLink, ...tag, "-j", "ACCEPT"]);
  shOk("iptables", ["-w", "-I", "FORWARD", "1", "-o", layout.hostLink, ...tag, "-j", "ACCEPT"]);
  const out = ["-s", `${layout.hostAddress}/30`, "!", "-o", layout.hostLink];
  shOk("iptables", ["-w", "-t", "nat", "-I", "POSTROUTING", "1", ...out, ...tag, "-j", "MASQUERADE"]);
}

/** Removes the rules that carry the slot's tag, and no other. */
function removeFirewall(layout: SlotLayout): void {
  for (const table of ["filter", "nat"]) {
    const saved = sh("iptables-save", ["-t", table]);
    for (const line of saved.stdout.split("\n")) {
      if (!line.startsWith("-A ") || !new RegExp(`--comment "?${layout.tag}"?( |$)`).test(line)) continue;
      sh("iptables", ["-w", "-t", table, "-D", ...line.slice(3).replaceAll('"', "").split(" ")]);
    }
  }
}

/** The cgroup folders of the slot's containers (every controller, v1 and v2). */
function cgroupRoots(layout: SlotLayout): string[] {
  const roots = [join("/sys/fs/cgroup", layout.tag)];
  try {
    for (const entry of Deno.readDirSync("/sys/fs/cgroup")) {
      if (entry.isDirectory) roots.push(join("/sys/fs/cgroup", entry.name, layout.tag));
    }
  } catch { /* no cgroup fs */ }
  return roots.filter((root) => exists(root));
}

function cgroupPids(layout: SlotLayout): number[] {
  const pids: number[] = [];
  const walk = (dir: string) => {
    try {
      pids.push(...Deno.readTextFileSync(join(dir, "cgroup.procs")).split("\n").filter(Boolean).map(Number));
      for (const entry of Deno.readDirSync(dir)) if (entry.isDirectory) walk(join(dir, entry.name));
    } catch { /* gone */ }
  };
  for (const root of cgroupRoots(layout)) walk(root);
  return pids;
}

function removeCgroups(layout: SlotLayout): void {
  const remove = (dir: string) => {
    try {
      for (const entry of Deno.readDirSync(dir)) if (entry.isDirectory) remove(join(dir, entry.name));
      Deno.removeSync(dir);
    } catch { /* busy or gone: the next sweep tries again */ }
  };
  for (const root of cgroupRoots(layout)) remove(root);
}

/** Mount points at or below these folders, deepest first. */
function mountsUnder(folders: string[]): string[] {
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((path) => path.replace(/\\(\d{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8))))
    .filter((path) => folders.some((folder) => path === folder || path.startsWith(`${folder}/`)));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

/**
 * Ranges in use on the host: routes (but those through `ownLink`, a leftover
 * of the slot itself), and the address pools other dockerd processes were given.
 */
function takenRanges(ownLink: string): string[] {
  const routes = JSON.parse(sh("ip", ["-j", "-4", "route", "show", "table", "all"]).stdout || "[]") as {
    dst: string;
    dev?: string;
  }[];
  const ranges = routes.filter((route) => route.dev !== ownLink).map((route) => route.dst)
    .filter((dst) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst));
  for (const pid of allPids()) {
    const line = cmdline(pid);
    if (!/(^|\/)dockerd /.test(line)) continue;
    for (const match of line.matchAll(/base=(\d+\.\d+\.\d+\.\d+\/\d+)/g)) ranges.push(match[1]!);
  }
  return ranges;
}

/** Whether two IPv4 CIDR ranges share an address. */
export function overlaps(a: string, b: string): boolean {
  const [aStart, aEnd] = cidrBounds(a);
  const [bStart, bEnd] = cidrBounds(b);
  return aStart <= bEnd && bStart <= aEnd;
}

function cidrBounds(cidr: string): [number, number] {
  const [address = "", bits = "32"] = cidr.split("/");
  const value = address.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(value / size) * size;
  return [start, start + size - 1];
}

function readPid(path: string): number | undefined {
  try {
    return Number(Deno.readTextFileSync(path).trim()) || undefined;
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return [...Deno.readDirSync("/proc")].map((entry) => Number(entry.name)).filter((pid) => pid > 0);
}

/** A process's command line, its arguments joined by spaces ("" when gone). */
export function cmdline(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Waits (blocking) until none of these processes exists, or the time is up. */
function waitGone(pids: number[], timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(processExists) && Date.now() < deadline) {
    // A zombie we are the parent of stays in /proc until reaped; ours are reaped by Deno.
    if (pids.every((pid) => !processExists(pid) || zombie(pid))) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

function zombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(Deno.readTextFileSync(`/proc/${pid}/status`));
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a short host command (blocking) and returns its output; never throws on a failed exit. */
function sh(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const output = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" }).outputSync();
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

function shOk(cmd: string, args: string[]): void {
  const result = sh(cmd, args);
  if (result.code !== 0) throw new Error(`Cannot run ${cmd} ${args.join(" ")}: ${result.stderr.trim()}`);
}
