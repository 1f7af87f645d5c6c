# syntax=docker/dockerfile:1
# edge: build from the repository root: docker build -f deploy/docker/edge.Dockerfile .
# npm 11 as the workspace uses (its allowScripts); python3, make and g++ of the full image build better-sqlite3.
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm install -g npm@11.19.1 && npm ci && NX_DAEMON=false NX_NO_CLOUD=true npx nx run @codeframe/edge:build --output-style=static \
 && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package.json
COPY --from=build --chown=node:node /app/node_modules /app/node_modules
COPY --from=build --chown=node:node /app/libs /app/libs
COPY --from=build --chown=node:node /app/services/edge /app/services/edge
ENV NODE_ENV=production HOST=0.0.0.0 PORT=7080 LOG_FORMAT=json
USER node
EXPOSE 7080 7081
ENV GRPC_PORT=7081
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch(\"http://127.0.0.1:7080/healthz\").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/edge/dist/main.js"]
