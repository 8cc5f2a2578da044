/**
 * Counts as people read them, shared by the CLI, the web UI and progress lines.
 *
 * @module
 */

/** "1 instance", "3 instances": `n` and the noun, plural unless `n` is 1 (`plural` for irregular nouns). */
export function counted(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** "1 second", "45 seconds", "3 minutes" (rounded up): how long a throttled client waits. */
export function waitText(seconds: number): string {
  if (seconds < 120) return counted(seconds, "second");
  return counted(Math.ceil(seconds / 60), "minute");
}

/**
 * When FaaSO counts an instance ready, in words: "GET /healthz answers 2xx or
 * 3xx", or "port 8080 accepts connections". Here, not in manifest.ts, so that
 * printing it loads no schema library.
 */
export function readyWhen(settings: { health: string; port: number }): string {
  return settings.health.startsWith("/")
    ? `GET ${settings.health} answers 2xx or 3xx`
    : `port ${settings.port} accepts connections`;
}
