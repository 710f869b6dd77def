# syntax=docker/dockerfile:1
# One image for the three processes: api (default), worker and sandbox.
#   docker build -t client-provisioner .
#   docker run client-provisioner                               # api:     node dist/api/main.js
#   docker run client-provisioner node dist/worker/main.js      # worker
#   docker run client-provisioner node dist/sandbox/main.js     # sandbox (set SANDBOX_HOST=0.0.0.0)
# The machines run Node 20; the image uses the current LTS.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: every dependency, dev included (tsc) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `npm ci || npm install`: npm ci rejects a lock that lacks some other platform's optional build of
# a native addon (npm/cli#4828); npm install then installs from the same lock.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund || npm install --no-audit --no-fund

# ---- build: TypeScript -> dist/ (tsconfig.build.json: src/ -> dist/) ----
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# `npm run build` also copies the non-TS files src/ reads beside its modules (the sandbox's .sql).
RUN npm run build

# ---- runtime: production dependencies, compiled code, templates ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund || npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY templates ./templates
# Code and dependencies stay owned by root (read-only to the app); the process runs as `node`.
USER node
# 3000: api (PORT); 4010: sandbox (SANDBOX_PORT).
EXPOSE 3000 4010
# The api's liveness; compose overrides it for the sandbox and turns it off for the worker.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Start with node, not npm, so SIGTERM/SIGINT reach the process and it drains gracefully.
CMD ["node", "dist/api/main.js"]
