/**
 * Why the call store is SQLite (node:sqlite) and not Deno KV: the measurement
 * behind the choice (see README, "Async calls"). Run it alone, on a quiet machine:
 *
 *   deno run -A --unstable-kv bench/storage_choice.ts [N]
 *
 * It writes N call-sized records (1 KiB body) each way, one commit per call as
 * the proxy makes them before its 202; times Deno KV's own queue (enqueue to
 * listenQueue); and kills a writer with SIGKILL mid-stream to count calls it had
 * acknowledged that are missing after reopening.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";

const mode = Deno.args[0] ?? "all";
const dir = await Deno.makeTempDir({ prefix: "i19-" });
const body = new Uint8Array(1024).fill(65);
const headers = JSON.stringify([["content-type", "application/json"], ["user-agent", "bench"], ["x-a", "b"]]);

function pct(values: number[], p: number) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

function openSqlite(path: string, sync: string) {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=${sync}; PRAGMA busy_timeout=5000;
    CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, funko TEXT, state TEXT, due INTEGER, headers TEXT, body BLOB);
    CREATE INDEX IF NOT EXISTS calls_due ON calls(state, due);`);
  return db;
}

function sqliteEnqueue(sync: string, n: number) {
  const db = openSqlite(`${dir}/s-${sync}.db`, sync);
  const insert = db.prepare("INSERT INTO calls VALUES (?, ?, 'queued', ?, ?, ?)");
  const blocks: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    insert.run(crypto.randomUUID(), "echo", Date.now(), headers, body);
    blocks.push(performance.now() - t);
  }
  const total = performance.now() - start;
  const big = new Uint8Array(1024 * 1024);
  const t = performance.now();
  insert.run(crypto.randomUUID(), "echo", Date.now(), headers, big);
  const bigMs = performance.now() - t;
  db.close();
  console.log(
    `sqlite synchronous=${sync}: ${Math.round(n / total * 1000)} inserts/s; main thread blocked per insert p50 ${
      pct(blocks, .5).toFixed(3)
    } ms p99 ${pct(blocks, .99).toFixed(3)} ms max ${Math.max(...blocks).toFixed(2)} ms; 1 MiB body ${
      bigMs.toFixed(2)
    } ms`,
  );
}

async function kvEnqueue(n: number, concurrency: number) {
  const kv = await Deno.openKv(`${dir}/kv-${concurrency}.db`);
  const record = { funko: "echo", state: "queued", due: Date.now(), headers, body };
  const start = performance.now();
  const lat: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) {
      next++;
      const id = crypto.randomUUID();
      const t = performance.now();
      await kv.atomic().set(["call", id], record).set(["queued", "echo", Date.now(), id], true).commit();
      lat.push(performance.now() - t);
    }
  }));
  const total = performance.now() - start;
  let big = "ok";
  try {
    await kv.set(["big"], new Uint8Array(1024 * 1024));
  } catch (e) {
    big = (e as Error).message;
  }
  kv.close();
  console.log(
    `deno kv, ${concurrency} in flight: ${Math.round(n / total * 1000)} commits/s; commit latency p50 ${
      pct(lat, .5).toFixed(2)
    } ms p99 ${pct(lat, .99).toFixed(2)} ms; 1 MiB value: ${big}`,
  );
}

async function kvQueueLatency(n: number) {
  const kv = await Deno.openKv(`${dir}/kvq.db`);
  const lat: number[] = [];
  let resolve: () => void = () => {};
  kv.listenQueue((msg: { t: number }) => {
    lat.push(performance.now() - msg.t);
    resolve();
  });
  for (let i = 0; i < n; i++) {
    const got = new Promise<void>((r) => resolve = r);
    await kv.enqueue({ t: performance.now() });
    await got;
  }
  console.log(
    `deno kv enqueue -> listenQueue, idle: p50 ${pct(lat, .5).toFixed(2)} ms p99 ${pct(lat, .99).toFixed(2)} ms`,
  );
  kv.close();
}

// SIGKILL: a child commits records and prints each id once committed (the 202); killed mid-stream.
async function child(engine: string, path: string) {
  const enc = new TextEncoder();
  if (engine === "kv") {
    const kv = await Deno.openKv(path);
    for (let i = 0;; i++) {
      const id = `c${i}`;
      await kv.set(["call", id], { body });
      await Deno.stdout.write(enc.encode(id + "\n"));
    }
  } else {
    const db = openSqlite(path, engine.split(":")[1]!);
    const insert = db.prepare("INSERT INTO calls VALUES (?, 'echo', 'queued', 0, '', ?)");
    for (let i = 0;; i++) {
      const id = `c${i}`;
      insert.run(id, body);
      await Deno.stdout.write(enc.encode(id + "\n"));
    }
  }
}

async function killTest(engine: string) {
  const path = `${dir}/kill-${engine.replace(":", "-")}.db`;
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", import.meta.filename!, "child", engine, path],
    stdout: "piped",
  }).spawn();
  const acked: string[] = [];
  let buf = "";
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const killAt = Date.now() + 1500;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    acked.push(...lines);
    if (Date.now() > killAt) {
      proc.kill("SIGKILL");
      break;
    }
  }
  await proc.status;
  let missing = 0;
  if (engine === "kv") {
    const kv = await Deno.openKv(path);
    for (const id of acked) if ((await kv.get(["call", id])).value === null) missing++;
    kv.close();
  } else {
    const db = new DatabaseSync(path);
    const has = db.prepare("SELECT 1 FROM calls WHERE id = ?");
    for (const id of acked) if (!has.get(id)) missing++;
    db.close();
  }
  console.log(`SIGKILL ${engine}: ${acked.length} acknowledged before the kill, ${missing} missing after reopening`);
}

if (mode === "child") await child(Deno.args[1]!, Deno.args[2]!);
else {
  const n = Number(Deno.args[1] ?? 3000);
  sqliteEnqueue("NORMAL", n);
  sqliteEnqueue("FULL", Math.min(n, 1000));
  await kvEnqueue(Math.min(n, 2000), 1);
  await kvEnqueue(n, 32);
  await kvQueueLatency(200);
  for (const engine of ["sqlite:NORMAL", "sqlite:FULL", "kv"]) await killTest(engine);
  await Deno.remove(dir, { recursive: true });
}
