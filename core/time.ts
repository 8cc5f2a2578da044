/**
 * Times as people read them, shared by the CLI and the web UI.
 *
 * @module
 */
import { counted } from "./words.ts";

/** "5 minutes ago" for an ISO date (or "just now"). */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const units: [number, string][] = [[86400, "day"], [3600, "hour"], [60, "minute"], [1, "second"]];
  for (const [size, unit] of units) {
    if (seconds >= size) {
      const n = Math.floor(seconds / size);
      return `${counted(n, unit)} ago`;
    }
  }
  return "just now";
}
