# Drillbot GitHub App. Build:  docker build -t drillbot .
# Run:  docker run -p 3000:3000 -e APP_ID=… -e PRIVATE_KEY="$(base64 -w0 key.pem)" -e WEBHOOK_SECRET=… \
#         -e DRILLBOT_PROVIDER=url -e DRILLBOT_DATABASE_URL=postgres://drillbot:…@db:5432/postgres drillbot
# Provider by env: DRILLBOT_PROVIDER=embedded (default; PostgreSQL binaries from npm, inside this
# container), url (an existing server: DRILLBOT_DATABASE_URL), testcontainers (needs a Docker socket).

# --- build: compile TypeScript with the dev dependencies
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies, compiled app, rule docs (for /drillbot explain)
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json \
    DRILLBOT_PROVIDER=embedded \
    DRILLBOT_CACHE_DIR=/var/cache/drillbot
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay enabled (embedded-postgres and libpg-query set themselves up in them); only
# `prepare` (a TypeScript build, without the dev dependencies here) is dropped: dist/ comes from
# the build stage.
RUN npm pkg delete scripts.prepare \
    && npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY docs ./docs
COPY app.yml ./
# Non-root: the embedded PostgreSQL refuses to run as root anyway, and pull-request SQL is untrusted.
RUN groupadd --system drillbot && useradd --system --gid drillbot --home-dir /home/drillbot --create-home drillbot \
    && mkdir -p /var/cache/drillbot && chown -R drillbot:drillbot /var/cache/drillbot
USER drillbot
EXPOSE 3000
CMD ["npm", "start"]
