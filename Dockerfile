# Production image for the server. Not built on the development machines (no Docker engine
# runs there); kept deliberately simple: one builder stage, one slim runtime stage.
FROM rust:1.95-bookworm AS builder
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --version 0.3.10 --locked \
 && cargo install wasm-bindgen-cli --version 0.2.130 \
 && npm install -g binaryen@132
WORKDIR /src
COPY . .
RUN cargo leptos build --release

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
RUN useradd --system --home /app revintel
WORKDIR /app
COPY --from=builder /src/target/release/server /app/server
COPY --from=builder /src/target/site /app/site
ENV APP_ENV=production \
    REVINTEL_BIND_ADDR=0.0.0.0:3000 \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_OUTPUT_NAME=revintel \
    REVINTEL_LOG_FORMAT=json
USER revintel
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/3000"]
CMD ["/app/server", "serve"]
