# The portal, built once and served by Caddy, which is also the TLS proxy for the API and the object store.
FROM node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY shared-types/package.json shared-types/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY infra/package.json infra/
RUN npm ci --no-audit --no-fund
COPY shared-types shared-types
COPY frontend frontend
# The public half of the key directory's log key (docs/running.md); the build refuses to run without it.
ARG VITE_KEY_LOG_PUBLIC_KEY
RUN VITE_KEY_LOG_PUBLIC_KEY="$VITE_KEY_LOG_PUBLIC_KEY" npm run build -w frontend

FROM caddy:2.11.4-alpine@sha256:6aeddd44c3078b0f9a35206472a11420648a79c184603ef95957d0a20044cb2b
COPY infra/docker/Caddyfile /etc/caddy/Caddyfile
COPY infra/docker/api-load-balancing.caddy /etc/caddy/api-load-balancing.caddy
COPY --from=build /app/frontend/dist /srv
EXPOSE 8443 9443
