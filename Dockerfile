# syntax=docker/dockerfile:1
# Countersign's production image. docs/deployment.md explains how to run it: the environment it reads,
# PostgreSQL, replicas and secrets. Nothing secret is built in: the GitHub App's key, the webhook
# secret and the database password are given to the container when it runs.

# Pin the base image by digest (node:24-bookworm-slim@sha256:…) in your own builds for reproducibility.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: install every dependency, compile TypeScript, then drop the development ones ----
# Everything the runtime stage copies from here must be brought in by a COPY line below or made by a RUN
# step (test/unit/deployment.test.ts checks it; scripts/rehearse-docker-build.mjs runs these steps).
FROM ${NODE_IMAGE} AS build
# better-sqlite3 downloads a prebuilt binary when one matches; otherwise it compiles, which needs these.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
# The npm the lockfile is tested with, not whichever npm the base image's Node release bundles: it
# honours package.json's `allowScripts`, so only better-sqlite3's install script runs (Prisma's would
# download engines that Countersign does not use).
RUN npm install -g npm@11.19.1 --no-audit --no-fund
WORKDIR /app
# The install runs `postinstall`: scripts/generate-prisma.mjs generates the Prisma clients from
# prisma/schema.prisma into src/db/generated; scripts/build.mjs finds no sources yet and compiles
# nothing. The sources come after, so that this layer is reused while only they change.
COPY package.json package-lock.json ./
COPY scripts/ scripts/
COPY prisma/ prisma/
RUN npm ci --no-audit --no-fund
# app.yml: the GitHub App's manifest, which the setup page registers the app from.
COPY app.yml tsconfig.json tsconfig.build.json ./
COPY src/ src/
# Then the whole of src/ is compiled and checked, and the build tools are removed: the Prisma CLI,
# TypeScript and their trees (@prisma/studio-core, @prisma/dev, @electric-sql/pglite, …). @prisma/client
# declares both as optional peers, so npm marks them "devOptional" and `--omit=dev` alone keeps them;
# `--omit=optional` drops them, and otherwise only pg-cloudflare, which pg loads on Cloudflare Workers
# alone. The prune runs no install scripts, so it needs neither tool.
RUN npm run build \
  && test -f lib/main.js \
  && test -d lib/db/generated/sqlite \
  && test -d lib/db/generated/postgres \
  && npm prune --omit=dev --omit=optional --no-audit --no-fund \
  && test ! -e node_modules/prisma \
  && test ! -e node_modules/typescript

# ---- runtime: the compiled app, its production dependencies and its migrations, run as non-root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and read-only to the app: the process can write only to /app/data.
COPY --from=build /app/package.json /app/app.yml ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/lib/ lib/
# Migrations (and both schema files) are applied by the app itself at start-up (src/db/migrate.ts).
COPY --from=build /app/prisma/ prisma/
# The default DATABASE_URL (file:./data/countersign.db) is an SQLite file here: mount a volume on
# /app/data to keep it, or set DATABASE_URL to PostgreSQL.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
# The base image's `node` user, given by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000
# /healthz answers while the process serves HTTP; readiness (/readyz) is for orchestrators to ask.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('node:http').get({ host: '127.0.0.1', port: process.env.PORT || 3000, path: '/healthz', timeout: 4000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1)).on('timeout', () => process.exit(1))"]
# Starts Probot after applying pending migrations; SIGTERM stops it cleanly (src/start.ts).
CMD ["node", "lib/main.js"]
