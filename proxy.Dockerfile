# The faaso-proxy image: `faaso serve` with the Docker socket mounted.
#   docker build -f proxy.Dockerfile -t faaso-proxy .
#   docker run --network=faaso-net -v /var/run/docker.sock:/var/run/docker.sock -p 8888:8888 faaso-proxy
# Builds with the legacy builder (no BuildKit) from the same bases as the runtimes.
ARG DENO_VERSION=2.9.6
FROM denoland/deno:bin-${DENO_VERSION} AS deno

FROM debian:bookworm-slim
COPY --from=deno /deno /usr/local/bin/deno
# DENO_TOKIO_EVENT_INTERVAL=1: Deno looks at the sockets after every turn of its loop, not every 61st (the faaso task
# sets it too; bench/README.md: p99 at 256 connections).
ENV DENO_DIR=/opt/faaso/.deno \
    DENO_TOKIO_EVENT_INTERVAL=1 \
    DENO_TLS_CA_STORE=mozilla,system \
    DENO_NO_UPDATE_CHECK=1 \
    FAASO_DATA=/data \
    FAASO_PORT=8888
WORKDIR /opt/faaso
# Dependencies first: a code change keeps this layer cached.
COPY deno.json deno.lock ./
COPY main.ts ./
COPY cli cli
COPY core core
COPY docker docker
COPY http1 http1
COPY server server
COPY runtimes runtimes
RUN deno install --entrypoint main.ts && deno cache main.ts
LABEL faaso.role=proxy
# The data folder: config, credentials, secrets. Mount a volume here to keep it.
VOLUME /data
EXPOSE 8888
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8888 && printf 'GET /ping HTTP/1.0\\r\\n\\r\\n' >&3 && read -r s <&3 && [[ $s == *' 200 '* ]]"]
# Root, because the mounted Docker socket belongs to root (or the host's docker group).
CMD ["deno", "run", "--cached-only", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--unstable-no-legacy-abort", "--unstable-net", "--v8-flags=--max-semi-space-size=16,--no-memory-pool,--heap-growing-percent=100", "main.ts", "serve"]
