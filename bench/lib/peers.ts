/**
 * The reverse proxies FaaSO is measured against, as users would set them up:
 * nginx with one worker and a keepalive upstream, and Caddy 2's reverse_proxy.
 *
 * @module
 */
import { freePort, type Service, service, sleep } from "./proc.ts";

/** A peer proxy listening on 127.0.0.1. */
export interface PeerProxy extends Service {
  /** `http://127.0.0.1:PORT`. */
  url: string;
}

/** Waits until something answers HTTP at `url` (any status), or throws. */
async function waitHttp(url: string, name: string, child: Deno.ChildProcess, stderr: () => string): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && !exited) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${name} did not start:\n${stderr()}`);
}

/** Spawns a proxy, keeping its stderr for error messages. */
async function spawnPeer(
  name: string,
  cmd: string,
  args: string[],
  url: string,
  env: Record<string, string>,
  dir: string,
): Promise<PeerProxy> {
  const child = new Deno.Command(cmd, { args, env, stdin: "null", stdout: "null", stderr: "piped" }).spawn();
  let stderr = "";
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      if (stderr.length < 20_000) stderr += chunk;
    }
  })();
  const proc = service(child, () => Deno.remove(dir, { recursive: true }));
  try {
    await waitHttp(url, name, child, () => stderr);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { ...proc, url };
}

/** Starts nginx (1 worker, keepalive upstream) in front of `upstreams` (`IP:3000` each). */
export async function startNginx(upstreams: string[]): Promise<PeerProxy> {
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-nginx-" });
  // Started as root, nginx's workers run as nobody and keep large bodies in temp files under it: 0700 made them fail
  // (an answer of 100 MB cut after the first 4-30 MB).
  await Deno.chmod(dir, 0o755);
  const port = freePort();
  const servers = upstreams.map((u) => `server ${u};`).join(" ");
  const config = `worker_processes 1; daemon off; error_log stderr; pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  # The default (1 MB) refuses the large uploads of scenario 11; request and answer buffering stay at their defaults.
  client_max_body_size 0;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream up { ${servers} keepalive 512; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`;
  await Deno.writeTextFile(`${dir}/nginx.conf`, config);
  return await spawnPeer("nginx", "nginx", ["-c", `${dir}/nginx.conf`, "-p", dir], `http://127.0.0.1:${port}`, {}, dir);
}

/** Starts Caddy 2 (`reverse_proxy`, admin and automatic HTTPS off) in front of `upstreams`. */
export async function startCaddy(upstreams: string[]): Promise<PeerProxy> {
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-caddy-" });
  const port = freePort();
  const config = `{
\tadmin off
\tauto_https off
}
:${port} {
\tbind 127.0.0.1
\treverse_proxy ${upstreams.join(" ")} {
\t\ttransport http {
\t\t\tkeepalive_idle_conns 512
\t\t\tkeepalive_idle_conns_per_host 512
\t\t}
\t}
}
`;
  await Deno.writeTextFile(`${dir}/Caddyfile`, config);
  return await spawnPeer(
    "caddy",
    "caddy",
    ["run", "--config", `${dir}/Caddyfile`, "--adapter", "caddyfile"],
    `http://127.0.0.1:${port}`,
    { XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    dir,
  );
}

/**
 * Starts socat as a plain TCP relay to one upstream (`IP:3000`), 256 KiB per
 * read and write, a process per connection: no HTTP at all. What copying the
 * bytes through a second process costs on this machine, the floor under any
 * proxy's large-body figures.
 */
export async function startSocat(upstream: string): Promise<PeerProxy> {
  const dir = await Deno.makeTempDir({ prefix: "faaso-bench-socat-" });
  const port = freePort();
  return await spawnPeer(
    "socat",
    "socat",
    ["-b", "262144", `TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `TCP:${upstream}`],
    `http://127.0.0.1:${port}`,
    {},
    dir,
  );
}
