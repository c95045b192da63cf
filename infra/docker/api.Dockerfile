# The API image (also runs the migrations). Build context: the repository root.
FROM node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY shared-types/package.json shared-types/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY infra/package.json infra/
RUN npm ci --no-audit --no-fund
COPY shared-types shared-types
COPY backend backend
RUN npx tsc -b shared-types && npx tsc -p backend/tsconfig.build.json

FROM node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0 AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared-types/package.json shared-types/
COPY backend/package.json backend/
COPY frontend/package.json frontend/
COPY infra/package.json infra/
# Only the API's production dependencies (and the shared-types workspace it imports).
RUN npm ci --omit=dev --workspace backend --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/shared-types/dist shared-types/dist
COPY --from=build /app/backend/dist backend/dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# --max-semi-space-size: as API_NODE_OPTIONS in infra/local/stack.ts.
CMD ["node", "--max-semi-space-size=32", "backend/dist/main.js"]
