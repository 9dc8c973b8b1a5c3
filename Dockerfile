# syntax=docker/dockerfile:1
# account-center: a multi-stage build on the pinned toolchain (rustc 1.95.0; Cargo.toml's
# rust-version is 1.94), run as a non-root user on Debian slim. Untested on the machine it
# was written on (no Docker daemon, no image registry): linted with hadolint only.

FROM rust:1.95.0-slim-bookworm AS build
WORKDIR /build
# The workspace's manifests first, so a source change does not refetch the crates.
COPY Cargo.toml Cargo.lock ./
COPY entity/Cargo.toml entity/Cargo.toml
COPY migration/Cargo.toml migration/Cargo.toml
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    mkdir -p src entity/src migration/src benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs entity/src/lib.rs migration/src/lib.rs \
    && echo 'fn main() {}' > benches/console_page.rs \
    && cargo fetch --locked
COPY entity entity
COPY migration migration
COPY locales locales
COPY src src
COPY benches benches
# The registry and the target directory are cache mounts: a rebuild compiles only what
# changed. The binary is copied out of the cache in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    cargo build --release --locked --bin account-center \
    && install -D target/release/account-center /out/account-center

FROM debian:bookworm-slim AS runtime
# No packages: the gateway client's TLS roots are compiled in (rustls, webpki-roots).
RUN groupadd --system --gid 10001 account-center \
    && useradd --system --uid 10001 --gid account-center --home-dir /data --shell /usr/sbin/nologin account-center \
    && mkdir -p /data \
    && chown account-center:account-center /data
COPY --from=build /out/account-center /usr/local/bin/account-center
# Defaults suited to a container: every interface, SQLite on the /data volume. Override
# DATABASE_URL with postgres://… to use PostgreSQL (compose.yaml does).
ENV ACCOUNT_CENTER_LISTEN=0.0.0.0:8000 \
    DATABASE_URL=sqlite:///data/account-center.db?mode=rwc \
    ACCOUNT_CENTER_LOG_JSON=true
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8000
# The binary probes its own /readyz (no curl in the image).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["account-center", "healthcheck"]
ENTRYPOINT ["account-center"]
CMD ["serve"]
