// The resource: local detectors by default, cloud detectors only when named, service name from package.json.
import type { DetectedResourceAttributes, Resource, ResourceDetector } from '@opentelemetry/resources';
import { defaultResource, detectResources, hostDetector, osDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import type { AgentConfig, ResourceDetectorName } from '../config';
import { DISTRO_NAME, distroVersion } from '../resource/distro';
import { describeError, warn } from '../runtime/logging';
import { redactNodeArgs, redactUrlCredentials } from '../redaction/index';
import { redactText } from '../redaction/text';
import { ciDetector } from '../resource/ci';

/** The app's package.json name/version: the default service.name / service.version. */
export interface AppPackage {
  name?: string;
  version?: string;
}

function detectorsFor(name: ResourceDetectorName): ResourceDetector[] {
  switch (name) {
    case 'env':
      return []; // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME are parsed by the config.
    case 'host':
      return [hostDetector];
    case 'os':
      return [osDetector];
    case 'process':
      return [redactedProcessDetector];
    case 'serviceinstance':
      return [serviceInstanceIdDetector];
    case 'container':
      return [deferredContainerDetector];
    case 'ci':
      return [ciDetector];
    case 'aws':
      return [lazyDetector('@opentelemetry/resource-detector-aws', ['awsEc2Detector', 'awsEcsDetector', 'awsEksDetector', 'awsBeanstalkDetector', 'awsLambdaDetector'])];
    case 'gcp':
      return [lazyDetector('@opentelemetry/resource-detector-gcp', ['gcpDetector'])];
    case 'azure':
      return [lazyDetector('@opentelemetry/resource-detector-azure', ['azureAppServiceDetector', 'azureFunctionsDetector', 'azureVmDetector'])];
    case 'alibaba':
      return [lazyDetector('@opentelemetry/resource-detector-alibaba-cloud', ['alibabaCloudEcsDetector'])];
  }
}

/** The process detector records argv; arguments that look like secrets must not reach the resource. */
const redactedProcessDetector: ResourceDetector = {
  detect(config) {
    const result = processDetector.detect(config);
    const args = result.attributes?.['process.command_args'];
    if (Array.isArray(args) && result.attributes) {
      // [node, ...execArgv, script, ...args]: the script's arguments by the script's own rules.
      result.attributes['process.command_args'] = [String(args[0]), ...redactNodeArgs(args.slice(1).map(String))];
    }
    return result;
  },
};

/**
 * container.id is read asynchronously anyway (from /proc); loading the detector package after start-up
 * keeps it off the program's start. The batch processor waits for the value before its first export.
 */
const deferredContainerDetector: ResourceDetector = {
  detect(config) {
    const id = new Promise<string | undefined>((resolve, reject) => {
      setImmediate(() => {
        try {
          const { containerDetector } = require('@opentelemetry/resource-detector-container') as { containerDetector: ResourceDetector };
          const value = containerDetector.detect(config).attributes?.['container.id'];
          Promise.resolve(value).then((v) => resolve(v === undefined ? undefined : String(v)), reject);
        } catch (err) {
          reject(err);
        }
      });
    });
    return { attributes: { 'container.id': id } };
  },
};

/** Loads a detector package only when a detector from it is used. */
function lazyDetector(pkg: string, names: string[]): ResourceDetector {
  return {
    detect(config) {
      // Cloud detector packages live under auto-instrumentations-node; resolve from there too.
      const mod = require(resolveFromAgent(pkg)) as Record<string, ResourceDetector>;
      const attributes: DetectedResourceAttributes = {};
      for (const n of names) Object.assign(attributes, mod[n]?.detect(config).attributes ?? {});
      return { attributes };
    },
  };
}

function resolveFromAgent(pkg: string): string {
  try {
    return require.resolve(pkg);
  } catch {
    return require.resolve(pkg, { paths: [require('node:path').dirname(require.resolve('@opentelemetry/auto-instrumentations-node'))] });
  }
}

/** A detector that throws or whose attributes reject costs one warning, never the program. */
export function guardDetector(name: string, detector: ResourceDetector): ResourceDetector {
  return {
    detect(config) {
      try {
        const { attributes = {} } = detector.detect(config);
        const safe: DetectedResourceAttributes = {};
        for (const [key, value] of Object.entries(attributes)) {
          safe[key] =
            value instanceof Promise
              ? value.catch((err: unknown) => {
                  warn(`resource detector "${name}" failed: ${describeError(err)}`);
                  return undefined;
                })
              : value;
        }
        return { attributes: safe };
      } catch (err) {
        warn(`resource detector "${name}" failed: ${describeError(err)}`);
        return { attributes: {} };
      }
    },
  };
}

/**
 * `unknown_service:<executable name>`, as upstream's default, but from the executable's file name:
 * upstream uses process.argv0 as is, which for a child spawned with process.execPath is the full path
 * (`unknown_service:/usr/local/bin/node`); a shell-started node gives `unknown_service:node` alike.
 */
export function defaultServiceName(argv0: string = process.argv0): string {
  const name = argv0.replace(/\\/g, '/').split('/').pop()!.replace(/\.exe$/i, '');
  return `unknown_service:${name || 'node'}`;
}

export function buildResource(config: AgentConfig, app: AppPackage): Resource {
  const detectors = config.resourceDetectors.flatMap((name) => detectorsFor(name).map((d) => guardDetector(name, d)));
  const service: Record<string, string> = {};
  const serviceName = config.serviceName ?? app.name ?? defaultServiceName();
  const serviceVersion = config.serviceVersion ?? app.version;
  if (serviceName) service['service.name'] = serviceName;
  if (serviceVersion) service['service.version'] = serviceVersion;
  // After the SDK's telemetry.sdk.* and before the user's attributes, which may override it.
  const distro = { 'telemetry.distro.name': DISTRO_NAME, 'telemetry.distro.version': distroVersion() };
  return defaultResource()
    .merge(resourceFromAttributes(distro))
    .merge(detectResources({ detectors }))
    .merge(resourceFromAttributes(redactedAttributes(config)))
    .merge(resourceFromAttributes(service));
}

/**
 * OTEL_RESOURCE_ATTRIBUTES (or the file's resource attributes) as given, with secrets inside values
 * redacted as the ci detector redacts its URLs: `repo=https://user:tok@git/x` keeps the URL without
 * the credentials, `?token=x` loses the value. With redaction off, URL credentials still go.
 */
function redactedAttributes(config: AgentConfig): Record<string, string> {
  const redact = config.redaction.enabled ? redactText : redactUrlCredentials;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(config.resourceAttributes)) out[key] = redact(value);
  return out;
}
