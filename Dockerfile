# callbackd: build with the compiler, run with production dependencies only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production CALLBACKD_DB=/var/lib/callbackd/callbackd.db
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config/callbackd.example.yaml ./config/
COPY config/scripts ./config/scripts
COPY dialplan ./dialplan
RUN mkdir -p /var/lib/callbackd && chown node:node /var/lib/callbackd
USER node
VOLUME /var/lib/callbackd
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
