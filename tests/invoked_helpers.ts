/**
 * The `invoked` fixture funko (tests/fixtures/invoked) with the settings a
 * test needs: the async and schedule tests write their own funko.yml.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "./helpers.ts";

const FIXTURE = join(ROOT, "tests", "fixtures", "invoked");

/** What the fixture recorded of one request. */
export interface Recorded {
  at: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Copies the fixture into `folder`/`name`, with `settings` (YAML) added to its funko.yml; returns the folder. */
export async function invokedFunko(folder: string, name: string, settings: string): Promise<string> {
  const target = join(folder, name);
  await Deno.mkdir(target, { recursive: true });
  for (const file of ["funko.ts", "deno.json"]) await Deno.copyFile(join(FIXTURE, file), join(target, file));
  await Deno.writeTextFile(join(target, "funko.yml"), `name: ${name}\nruntime: deno\n${settings}`);
  return target;
}
