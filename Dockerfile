# The image the OpenTelemetry Operator copies the Node.js agent from (Instrumentation spec.nodejs.image):
# the self-contained folder at /autoinstrumentation, and `cp` for the operator's init container.
#   docker build -t registry.example.com/otel-agent-autoinstrumentation:0.1.0 .
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build:autoinstrumentation

# busybox: a few MiB, with the `cp` the init container runs (cp -r /autoinstrumentation/. <shared volume>).
FROM busybox:1.37
COPY --from=build /src/build/autoinstrumentation /autoinstrumentation
# The app container may run as any user: everything readable by all.
RUN chmod -R go+rX /autoinstrumentation
