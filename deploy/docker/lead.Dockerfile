# syntax=docker/dockerfile:1
# lead: build from the repository root: docker build -f deploy/docker/lead.Dockerfile .
# npm 11 as the workspace uses (its allowScripts); python3, make and g++ of the full image build better-sqlite3.
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm install -g npm@11.19.1 && npm ci && NX_DAEMON=false NX_NO_CLOUD=true npx nx run @codeframe/lead:build --output-style=static \
 && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package.json
COPY --from=build --chown=node:node /app/node_modules /app/node_modules
COPY --from=build --chown=node:node /app/libs /app/libs
COPY --from=build --chown=node:node /app/services/lead /app/services/lead
ENV NODE_ENV=production HOST=0.0.0.0 PORT=7100 LOG_FORMAT=json
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 7100
VOLUME /data
ENV CODEFRAME_DATA_DIR=/data
# Probe: grpc.health.v1 on PORT (Kubernetes: a grpc probe; Compose: the healthcheck there).
CMD ["node", "services/lead/dist/main.js"]
