# The Bot2Bot relay as an image: build in one stage, run with production dependencies only.
#   docker build -t bot2bot-relay --build-arg SOURCE_COMMIT=$(git rev-parse HEAD) .
# Every RUN below is executed by deploy/check-image.mjs on machines without a container runtime,
# so keep them to npm commands that also work outside a container.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist/node ./dist/node
COPY --from=build /app/dist/web ./dist/web
# The agent tools the relay hands out under /sdk/: npm tarballs and the Python files.
COPY --from=build /app/dist/sdk ./dist/sdk
COPY agent/python/bot2bot.py agent/python/agent_bot2bot.py agent/python/tmux_notify.py ./agent/python/
# Shown on /source, so users know which commit to rebuild and compare.
ARG SOURCE_REPO_URL=""
ARG SOURCE_COMMIT=""
ENV SOURCE_REPO_URL=${SOURCE_REPO_URL} SOURCE_COMMIT=${SOURCE_COMMIT} HOST=0.0.0.0 PORT=3000
# The node user (uid 1000) ships with the image; the app's files stay root-owned and read-only to it.
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# main.js closes every stream and exits on SIGTERM (docs/OPERATING.md); node runs as PID 1
# without an init, so it must handle the signal itself, and it does.
STOPSIGNAL SIGTERM
CMD ["node", "dist/node/relay/main.js"]
