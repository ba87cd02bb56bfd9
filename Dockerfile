# syntax=docker/dockerfile:1
#
# routemeter container image: one image, one process per container.
#
#   docker build -t routemeter .
#   docker run --rm --stop-timeout 30 -p 9464:9464 -e KAFKA_URL=... -e REDIS_URL=... routemeter          # `run` (default)
#   docker run --rm --stop-timeout 30 -p 5000:5000 -e DRAIN_USERS=u:p ... routemeter \
#       node dist/src/cli/main.js drain
#
# PID 1 is tini: it forwards SIGTERM to node and reaps zombies. node is started
# directly (never through `npm start`), so node itself receives SIGTERM and has the
# orchestrator's grace period (30 s; routemeter finishes within SHUTDOWN_TIMEOUT_MS,
# 25 s by default) to shut down cleanly. `docker stop` waits only 10 s unless told
# otherwise: use `--stop-timeout 30` / `docker stop -t 30` (compose sets 30 s).
#
# Not built or run by CI (no Docker engine on our machines): see docs/operations.md.
#
# The code targets Node >= 20 (package.json engines); the image uses the current LTS.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- stage 1: compile TypeScript with the full dev toolchain -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json ./
RUN npm ci
# Everything tsconfig.json includes (src/, bench/); .dockerignore keeps the rest out.
COPY . .
RUN npm run build

# ---- stage 2: production dependencies + compiled output, non-root --------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
# package.json must be present at run time: "type": "module" makes dist/**/*.js ESM.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The dashboard's static ES modules are served as they are (no build step): `routemeter serve`.
COPY --from=build /app/src/api/public ./src/api/public
# Files stay root-owned and read-only for the app; it runs as the image's `node` user.
USER node

# PORT: `drain` (logplex HTTPS drain, /metrics, /healthz, /readyz) or `serve` (API, dashboard).
# METRICS_PORT: `run` (/metrics, /healthz, /readyz).
ENV PORT=5000 METRICS_PORT=9464
EXPOSE 5000 9464

# No curl in slim images: probe with node's fetch. Tries METRICS_PORT (`run`) and
# then PORT (`drain`); healthy if either answers 2xx on /healthz.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const ports=[process.env.METRICS_PORT||9464,process.env.PORT||5000];(async()=>{for(const p of ports){try{const r=await fetch(`http://127.0.0.1:${p}/healthz`,{signal:AbortSignal.timeout(3000)});if(r.ok)process.exit(0)}catch{}}process.exit(1)})()"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/cli/main.js", "run"]
