// Which agent produced the data: the telemetry.distro.* resource attributes, for the npm package and the bundled folder alike.
export const DISTRO_NAME = '@org/otel-agent';

/** The package version: read from package.json (inlined by the bundler in the Kubernetes folder). */
export function distroVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}
