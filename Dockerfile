# syntax=docker/dockerfile:1
# A static policysearch binary on a small Debian base, run as a non-root user
# with its data in the /data volume and every setting from the environment.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse HEAD) -t policysearch .
#
# The build context has no .git (see .dockerignore), so the commit comes in
# as a build argument; `policysearch version` prints both.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/policysearch ./cmd/policysearch \
 && /out/policysearch version

FROM debian:bookworm-slim
# CA certificates for HTTPS embeddings endpoints and feeds; curl for HEALTHCHECK.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 policysearch \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin policysearch \
 && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /out/policysearch /usr/local/bin/policysearch
USER 10001:10001
VOLUME /data
# Listen on every interface inside the container. Writes then need
# POLICYSEARCH_API_KEY: without one they are accepted from loopback only,
# which from outside the container is never.
ENV POLICYSEARCH_ADDR=0.0.0.0:8080 \
    POLICYSEARCH_DATA=/data \
    POLICYSEARCH_LOG_FORMAT=json
EXPOSE 8080
# /healthz never needs a key and is not rate limited. It assumes port 8080:
# change it together with POLICYSEARCH_ADDR.
HEALTHCHECK --interval=30s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz >/dev/null || exit 1
# SIGTERM: in-flight requests finish (POLICYSEARCH_SHUTDOWN_TIMEOUT), then the
# index closes cleanly. docker stop waits 10s by default; use --time to wait longer.
STOPSIGNAL SIGTERM
ENTRYPOINT ["policysearch"]
CMD ["serve"]
