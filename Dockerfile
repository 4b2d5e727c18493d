# syntax=docker/dockerfile:1
#
# Pincer gateway image: a release build of the `pincer` binary on Debian slim, run as a non-root
# user with everything it keeps (config, token, transcripts, stores, backups) under /data.
#
#   docker build -t pincer .
#   docker run -d -p 18789:18789 -v pincer-data:/data pincer
#   docker exec <container> cat /data/state/gateway.token    # the generated bearer token
#
# `--bind lan` listens on all interfaces of the container, which Pincer allows only with auth: a
# zero-config start generates a token into /data/state/gateway.token (mode 0600); set
# PINCER_GATEWAY_PASSWORD (or CLAWDBOT_GATEWAY_PASSWORD) to use a password instead. See
# docker-compose.yml for a complete service.

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and the build directory between image builds.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin pincer \
    && cp target/release/pincer /usr/local/bin/pincer

FROM debian:bookworm-slim
# CA certificates for HTTPS to model providers; nothing else is needed at run time.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 pincer \
    && useradd --system --uid 10001 --gid pincer --home-dir /data --shell /usr/sbin/nologin pincer \
    && mkdir -p /data /workspace \
    && chown pincer:pincer /data /workspace \
    && chmod 0700 /data
COPY --from=builder /usr/local/bin/pincer /usr/local/bin/pincer

# Config at /data/pincer.json5, state at /data/state (see README "Files and configuration").
ENV PINCER_HOME=/data
VOLUME /data
EXPOSE 18789
USER 10001:10001
WORKDIR /data

# `pincer health` finds the gateway through /data/state/gateway.json and exits 0 only when the
# gateway answers /readyz with 200: no curl needed in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["pincer", "health"]

CMD ["pincer", "gateway", "--bind", "lan"]
