# tq's example system as four images, one target each:
#
#   docker build --target worker    -t tq-worker .      # the WorkerPool of apps/worker, /healthz for HEALTHCHECK
#   docker build --target scheduler -t tq-scheduler .   # apps/scheduler: a delayed job, an interval schedule, sweeps
#   docker build --target producer  -t tq-producer .    # apps/producer: a one-shot that enqueues jobs and exits
#   docker build --target dashboard -t tq-dashboard .   # `tq dashboard` (@tq/cli), with the rest of the tq command
#
# The base is a build argument (any Debian-like Node 20 image with npm; pnpm is installed when it is missing):
#   docker build --build-arg BASE=node:20-bookworm-slim --target worker .
# Every setting comes from the environment (see docs/containers.md); every image runs as the user `node` (uid 1000)
# and starts `node` itself (no shell in between), so SIGTERM reaches the process and the worker pool drains.
ARG BASE=node:20-slim

# ---- build: install with the lockfile, build, and put each app with only its production dependencies in /out/<app>
FROM ${BASE} AS build
ARG PNPM_VERSION=10.34.9
ENV CI=true TURBO_TELEMETRY_DISABLED=1
RUN command -v pnpm >/dev/null 2>&1 || npm install -g --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile \
      --filter tq-monorepo \
      --filter "@tq/example-producer..." --filter "@tq/example-worker..." \
      --filter "@tq/example-scheduler..." --filter "@tq/cli..."
RUN pnpm exec turbo run build \
      --filter=@tq/example-producer --filter=@tq/example-worker --filter=@tq/example-scheduler --filter=@tq/cli
# `--legacy`: the workspace does not inject its packages; deploy copies each one as it would be published.
RUN pnpm --filter @tq/example-producer deploy --legacy --prod /out/producer \
 && pnpm --filter @tq/example-worker deploy --legacy --prod /out/worker \
 && pnpm --filter @tq/example-scheduler deploy --legacy --prod /out/scheduler \
 && pnpm --filter @tq/cli deploy --legacy --prod /out/dashboard

# ---- runtime: the same base, the app's folder, nothing else; the files stay root's, read-only for the app
FROM ${BASE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
USER node

FROM runtime AS producer
COPY --from=build /out/producer /app
CMD ["node", "dist/main.js"]

FROM runtime AS scheduler
COPY --from=build /out/scheduler /app
CMD ["node", "dist/main.js"]

FROM runtime AS worker
COPY --from=build /out/worker /app
# /healthz answers inside the container (127.0.0.1) unless TQ_HEALTH_HOST says otherwise. Running jobs get 8 s to
# finish on SIGTERM: inside the 10 s `docker stop` gives by default (raise both together, see compose.yaml).
ENV TQ_HEALTH_PORT=9464 TQ_SHUTDOWN_TIMEOUT_MS=8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TQ_HEALTH_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]

FROM runtime AS dashboard
COPY --from=build /out/dashboard /app
# Listening on every interface needs a login: without TQ_DASHBOARD_TOKEN (16+ characters) it exits with code 2.
ENV TQ_DASHBOARD_HOST=0.0.0.0 TQ_DASHBOARD_PORT=7070
EXPOSE 7070
CMD ["node", "dist/bin.js", "dashboard"]
