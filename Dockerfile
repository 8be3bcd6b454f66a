# syntax=docker/dockerfile:1
# Image for every wx process: the workers (one per task queue), `wx db migrate` and the CLI.
# No build step: TypeScript runs through tsx. The Temporal server is NOT in the image (WX_SKIP_TOOLS=1);
# the cluster provides it and TEMPORAL_ADDRESS points at it.

# The current Node LTS (24); package.json `engines` says which versions the project supports (20.19+, 22.12+, 24).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: install node_modules (tsx is a devDependency and is needed at runtime, so no --omit=dev)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV WX_SKIP_TOOLS=1
# ca-certificates: npm and native-module installs reach HTTPS hosts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
# postinstall runs this script; it exits at once with WX_SKIP_TOOLS=1.
COPY scripts/install-tools.mjs scripts/install-tools.mjs
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV WX_SKIP_TOOLS=1 \
    WX_DATA_DIR=/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data \
 && chown node:node /data
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node . .
# Non-root: the `node` user (uid 1000) of the base image.
USER node
VOLUME ["/data"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# Default: all task queues in one process. Compose overrides this per service, e.g.
#   node --import tsx workers/ingest.ts      or      node --import tsx cli/wx.ts db migrate
CMD ["node", "--import", "tsx", "workers/all.ts"]
