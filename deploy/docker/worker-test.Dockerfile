# syntax=docker/dockerfile:1
# worker-test: build from the repository root: docker build -f deploy/docker/worker-test.Dockerfile .
# npm 11 as the workspace uses (its allowScripts); python3, make and g++ of the full image build better-sqlite3.
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm install -g npm@11.19.1 && npm ci && NX_DAEMON=false NX_NO_CLOUD=true npx nx run @codeframe/worker-test:build --output-style=static \
 && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates bubblewrap procps util-linux chromium \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package.json
COPY --from=build --chown=node:node /app/node_modules /app/node_modules
COPY --from=build --chown=node:node /app/libs /app/libs
COPY --from=build --chown=node:node /app/services/worker-test /app/services/worker-test
ENV NODE_ENV=production HOST=0.0.0.0 PORT=7103 LOG_FORMAT=json
RUN mkdir -p /work && chown node:node /work
USER node
EXPOSE 7103
ENV CODEFRAME_WORK_DIR=/work
VOLUME /work
# Probe: grpc.health.v1 on PORT. The sandbox needs unprivileged user namespaces (deploy/README.md).
CMD ["node", "services/worker-test/dist/main.js"]
