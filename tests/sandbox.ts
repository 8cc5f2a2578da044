/**
 * The test run's own folders and environment, so that no FaaSO process a test
 * starts reads or writes the person's own setup: a saved `faaso login`,
 * FAASO_SERVER or FAASO_TOKEN in their shell, their data folder, or build
 * folders mixed with other programs' in /tmp.
 *
 * Each test file (Deno runs each in a module graph of its own) gets one
 * sandbox folder, made on first use and removed when the file's tests end:
 *
 * ```
 * faaso-test-run-PID-XXXX/
 *   home/      HOME (what ~ means to FaaSO and anything it runs)
 *   config/    XDG_CONFIG_HOME: faaso login saves config.json here
 *   data-home/ XDG_DATA_HOME
 *   data/      FAASO_DATA: secrets of local up/scale, the server's files
 *   tmp/       TMPDIR: faaso-build-* folders, the tests' temporary folders
 * ```
 *
 * Sandboxes of test runs whose process is gone are removed on the next run.
 *
 * @module
 */
import { join } from "node:path";
import { FAASO_ENV } from "./cli_args.ts";

/** A test file's own folders. */
export interface Sandbox {
  /** The sandbox folder. */
  root: string;
  /** HOME of the processes the tests start. */
  home: string;
  /** XDG_CONFIG_HOME: where `faaso login` saves its config. */
  configHome: string;
  /** XDG_DATA_HOME. */
  dataHome: string;
  /** FAASO_DATA: the data folder of local commands and of `faaso serve` when a test gives none. */
  data: string;
  /** TMPDIR: temporary folders of FaaSO (build folders) and of the tests. */
  tmp: string;
}

const PREFIX = "faaso-test-run-";

/** Environment variables that must not reach a FaaSO process from the person's shell. */
const CLEARED = /^(FAASO_.*|XDG_CONFIG_HOME|XDG_DATA_HOME|XDG_STATE_HOME|XDG_RUNTIME_DIR|TMPDIR|TMP|TEMP)$/;

/**
 * Deno's cache folder as the test process found it at start (DENO_DIR, else
 * XDG_CACHE_HOME/deno, else ~/.cache/deno): read once, before any test changes
 * HOME in its own environment.
 */
export const DENO_DIR: string = Deno.env.get("DENO_DIR") ||
  join(Deno.env.get("XDG_CACHE_HOME") || join(Deno.env.get("HOME") ?? "/root", ".cache"), "deno");

let current: Sandbox | undefined;

/** The test file's sandbox, made on first use. */
export function sandbox(): Sandbox {
  if (current) return current;
  const parent = Deno.env.get("TMPDIR") || "/tmp";
  removeStale(parent);
  const root = Deno.makeTempDirSync({ dir: parent, prefix: `${PREFIX}${Deno.pid}-` });
  const made: Sandbox = {
    root,
    home: join(root, "home"),
    configHome: join(root, "config"),
    dataHome: join(root, "data-home"),
    data: join(root, "data"),
    tmp: join(root, "tmp"),
  };
  for (const folder of [made.home, made.configHome, made.dataHome, made.tmp]) {
    Deno.mkdirSync(folder, { mode: 0o700 });
  }
  // The sandbox goes with the file's module graph (also when a test fails).
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(root, { recursive: true });
    } catch { /* a later run removes it */ }
  });
  current = made;
  return made;
}

/**
 * The environment for a FaaSO process (or a tool that runs one, like
 * hyperfine): the test process's own, without any FAASO_* variable or XDG
 * folder, with the faaso task's variables (as users run it) and the
 * sandbox's folders, plus `extra` (which wins). DOCKER_HOST is kept: it says
 * which engine the tests use, and the tests' own Docker client follows it
 * too. DENO_DIR is pinned so that the new HOME does not send Deno looking for
 * its cache elsewhere.
 */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const box = sandbox();
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(Deno.env.toObject())) if (!CLEARED.test(key)) env[key] = value;
  return {
    ...env,
    ...FAASO_ENV,
    DENO_DIR: DENO_DIR,
    HOME: box.home,
    XDG_CONFIG_HOME: box.configHome,
    XDG_DATA_HOME: box.dataHome,
    FAASO_DATA: box.data,
    TMPDIR: box.tmp,
    NO_COLOR: "1",
    ...extra,
  };
}

/**
 * How old a gone process's sandbox must be before a later run removes it. A
 * process ID that /proc does not show may still run, in another PID namespace
 * (a container sharing /tmp): on the shared test machine two runs lost their
 * live sandbox mid-file. No test file runs for 2 hours (CI stops at 90 min).
 */
const STALE_AFTER_MS = 2 * 60 * 60_000;

/** Removes the sandboxes of test processes that are gone, once they are old enough (see STALE_AFTER_MS). */
function removeStale(parent: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(parent)];
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(entry.name)?.[1]);
    if (!entry.isDirectory || !pid || pid === Deno.pid || processExists(pid)) continue;
    try {
      const made = Deno.statSync(join(parent, entry.name)).mtime?.getTime() ?? Date.now();
      if (Date.now() - made < STALE_AFTER_MS) continue;
      Deno.removeSync(join(parent, entry.name), { recursive: true });
    } catch { /* another run got there first */ }
  }
}

/** Whether a process with this ID runs (on Linux). */
export function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
