# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/policysearch ./cmd/policysearch

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /data policysearch && mkdir -p /data && chown policysearch /data
COPY --from=build /out/policysearch /usr/local/bin/policysearch
USER policysearch
VOLUME /data
ENV POLICYSEARCH_ADDR=0.0.0.0:8080 POLICYSEARCH_DATA=/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["policysearch"]
CMD ["serve"]
