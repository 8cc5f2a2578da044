/**
 * Chromium for browser tests, driven by playwright-core: the browser Debian's
 * `chromium` package installs (never one downloaded by Playwright), found on
 * this machine, run headless in the test file's sandbox.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";
import { isolatedEnv } from "./sandbox.ts";

/** Where Chromium is looked for when CHROMIUM_PATH is not set, in order. */
export const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
];

/** The Chromium executable: CHROMIUM_PATH, else the first candidate that exists; throws saying how to get one. */
export function chromiumPath(): string {
  const explicit = Deno.env.get("CHROMIUM_PATH");
  const candidates = explicit ? [explicit] : CHROMIUM_CANDIDATES;
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not there */ }
  }
  throw new Error(
    `The browser tests need Chromium: none at ${candidates.join(", ")}. ` +
      "Install it (apt-get install chromium, as .ci/setup does) or set CHROMIUM_PATH to its executable",
  );
}

/** Launches headless Chromium with the sandbox's HOME (its profile and caches go there, not to ~/.config). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    env: isolatedEnv(),
    timeout: 60_000,
  });
}
