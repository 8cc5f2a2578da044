/**
 * Shared pieces of the scale-to-zero and autoscaling tests: the echo fixture
 * as a funko with scaling settings, the admin API's view of a funko, the
 * engine's instance states and a counter of the engine's events.
 *
 * @module
 */
import { join } from "node:path";
import type { Docker, DockerEvent } from "../docker/mod.ts";
import type { FunkoStatus } from "../core/status.ts";
import { instancesOf, ROOT } from "./helpers.ts";

/** A GET that gives up after 60 s (a request held forever is a failure, not a hang). */
export function get(url: string, ms = 60_000): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(ms) });
}

/** Whether `url` answers 200 now (false on any error). */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await get(url, 5000);
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Copies the echo fixture to `folder/name` with a funko.yml of that name and `settings` (YAML lines). */
export async function echoFunko(folder: string, name: string, settings: string): Promise<string> {
  const path = join(folder, name);
  await Deno.mkdir(path, { recursive: true });
  for (const file of ["funko.ts", "deno.json"]) {
    await Deno.copyFile(join(ROOT, "tests", "fixtures", "echo", file), join(path, file));
  }
  await Deno.writeTextFile(join(path, "funko.yml"), `name: ${name}\nruntime: deno\n${settings}`);
  return path;
}

/** An admin API token of the server at `url`, logged in with its password. */
export async function loginToken(url: string, password: string): Promise<string> {
  const response = await fetch(`${url}/admin/api/login`, { method: "POST", body: JSON.stringify({ password }) });
  return (await response.json()).token;
}

/** The admin API of a server, logged in with its password. */
export class Admin {
  #url: string;
  #password: string;
  #token: string | undefined;

  constructor(url: string, password: string) {
    this.#url = url;
    this.#password = password;
  }

  /** GETs an admin API path and parses the JSON. */
  async get<T>(path: string): Promise<T> {
    const response = await fetch(`${this.#url}/admin/api${path}`, {
      headers: { authorization: `Bearer ${await this.#login()}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return await response.json() as T;
  }

  /** POSTs to an admin API operation and returns its lines (the last is the result or the error). */
  async post(path: string, body: unknown = {}): Promise<{ kind: string; [key: string]: unknown }[]> {
    const response = await fetch(`${this.#url}/admin/api${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await this.#login()}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
    return text.trim().split("\n").map((line) => JSON.parse(line));
  }

  /** The funko's status, activity included. */
  funko(name: string): Promise<FunkoStatus> {
    return this.get<FunkoStatus>(`/funkos/${name}`);
  }

  async #login(): Promise<string> {
    return this.#token ??= await loginToken(this.#url, this.#password);
  }
}

/** The funko's instances' states as the engine reports them, sorted: ["exited"], ["paused", "running"]. */
export async function statesOf(docker: Docker, funko: string): Promise<string[]> {
  return (await instancesOf(docker, funko)).map((instance) => instance.state).sort();
}

/** Counts the engine's events of one funko's containers by action, from now on. */
export class EventCounter implements AsyncDisposable {
  readonly counts = new Map<string, number>();
  #abort: AbortController;
  #reader: ReadableStreamDefaultReader<DockerEvent>;
  #reading: Promise<void>;

  private constructor(stream: ReadableStream<DockerEvent>, abort: AbortController) {
    this.#abort = abort;
    const reader = this.#reader = stream.getReader();
    this.#reading = (async () => {
      try {
        while (true) {
          const { value: event, done } = await reader.read();
          if (done) break;
          this.counts.set(event.Action, (this.counts.get(event.Action) ?? 0) + 1);
        }
      } catch {
        // Cancelled.
      }
    })();
  }

  /** Subscribes; events after the promise settles are all counted. */
  static async start(docker: Docker, funko: string): Promise<EventCounter> {
    const abort = new AbortController();
    const stream = await docker.events.stream({
      filters: { type: ["container"], label: [`faaso.funko=${funko}`] },
      signal: abort.signal,
    });
    return new EventCounter(stream, abort);
  }

  /** How often `action` happened so far. */
  count(action: string): number {
    return this.counts.get(action) ?? 0;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#abort.abort();
    // Aborting the request does not always end a read already waiting: cancel it too.
    await this.#reader.cancel().catch(() => {});
    await this.#reading;
  }
}
