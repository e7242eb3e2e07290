# Clientele's own processes (worker, router, sink, till and web gateways): one image, the command
# picks the process, e.g. `docker run clientele:local worker`. See docker-compose.yml.
FROM node:20-slim

ENV NODE_ENV=production \
    CLIENTELE_DATA_DIR=/app/.data \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node

# `npx --no` runs this package's own `clientele` bin and never downloads anything.
ENTRYPOINT ["npx", "--no", "clientele"]
CMD ["--help"]
