// Decodes a protobuf OTLP ExportTraceServiceRequest back into the OTLP/JSON shape (for reading kops trace files).
//
// The upstream otlp-transformer only encodes requests, so decoding uses protobufjs with an inline
// schema of the OTLP trace subset. Field numbers follow open-telemetry/opentelemetry-proto
// (opentelemetry/proto/{collector/trace,trace,common,resource}/v1/*.proto). Left out on purpose:
// AnyValue.string_value_strindex (8) and KeyValue.key_strindex (3), which only profiles use;
// protobufjs skips unknown fields, so files holding them still decode.
//
// protobufjs is loaded on first use, not at import: the agent's runtime path never reads trace
// files, and it is not a declared runtime dependency of this package.
import type * as ProtobufJs from 'protobufjs';

type Json = Record<string, unknown>;

const COMMON = 'opentelemetry.proto.common.v1';
const repeated = (type: string, id: number) => ({ rule: 'repeated', type, id });

const SCHEMA: ProtobufJs.INamespace = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: {
                      oneofs: {
                        value: {
                          oneof: [
                            'stringValue',
                            'boolValue',
                            'intValue',
                            'doubleValue',
                            'arrayValue',
                            'kvlistValue',
                            'bytesValue',
                          ],
                        },
                      },
                      fields: {
                        stringValue: { type: 'string', id: 1 },
                        boolValue: { type: 'bool', id: 2 },
                        intValue: { type: 'int64', id: 3 },
                        doubleValue: { type: 'double', id: 4 },
                        arrayValue: { type: 'ArrayValue', id: 5 },
                        kvlistValue: { type: 'KeyValueList', id: 6 },
                        bytesValue: { type: 'bytes', id: 7 },
                      },
                    },
                    ArrayValue: { fields: { values: repeated('AnyValue', 1) } },
                    KeyValueList: { fields: { values: repeated('KeyValue', 1) } },
                    KeyValue: {
                      fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } },
                    },
                    InstrumentationScope: {
                      fields: {
                        name: { type: 'string', id: 1 },
                        version: { type: 'string', id: 2 },
                        attributes: repeated('KeyValue', 3),
                        droppedAttributesCount: { type: 'uint32', id: 4 },
                      },
                    },
                    EntityRef: {
                      fields: {
                        schemaUrl: { type: 'string', id: 1 },
                        type: { type: 'string', id: 2 },
                        idKeys: repeated('string', 3),
                        descriptionKeys: repeated('string', 4),
                      },
                    },
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    Resource: {
                      fields: {
                        attributes: repeated(`${COMMON}.KeyValue`, 1),
                        droppedAttributesCount: { type: 'uint32', id: 2 },
                        entityRefs: repeated(`${COMMON}.EntityRef`, 3),
                      },
                    },
                  },
                },
              },
            },
            trace: {
              nested: {
                v1: {
                  nested: {
                    TracesData: { fields: { resourceSpans: repeated('ResourceSpans', 1) } },
                    ResourceSpans: {
                      fields: {
                        resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
                        scopeSpans: repeated('ScopeSpans', 2),
                        schemaUrl: { type: 'string', id: 3 },
                      },
                    },
                    ScopeSpans: {
                      fields: {
                        scope: { type: `${COMMON}.InstrumentationScope`, id: 1 },
                        spans: repeated('Span', 2),
                        schemaUrl: { type: 'string', id: 3 },
                      },
                    },
                    Span: {
                      fields: {
                        traceId: { type: 'bytes', id: 1 },
                        spanId: { type: 'bytes', id: 2 },
                        traceState: { type: 'string', id: 3 },
                        parentSpanId: { type: 'bytes', id: 4 },
                        flags: { type: 'fixed32', id: 16 },
                        name: { type: 'string', id: 5 },
                        kind: { type: 'SpanKind', id: 6 },
                        startTimeUnixNano: { type: 'fixed64', id: 7 },
                        endTimeUnixNano: { type: 'fixed64', id: 8 },
                        attributes: repeated(`${COMMON}.KeyValue`, 9),
                        droppedAttributesCount: { type: 'uint32', id: 10 },
                        events: repeated('Event', 11),
                        droppedEventsCount: { type: 'uint32', id: 12 },
                        links: repeated('Link', 13),
                        droppedLinksCount: { type: 'uint32', id: 14 },
                        status: { type: 'Status', id: 15 },
                      },
                      nested: {
                        SpanKind: {
                          values: {
                            SPAN_KIND_UNSPECIFIED: 0,
                            SPAN_KIND_INTERNAL: 1,
                            SPAN_KIND_SERVER: 2,
                            SPAN_KIND_CLIENT: 3,
                            SPAN_KIND_PRODUCER: 4,
                            SPAN_KIND_CONSUMER: 5,
                          },
                        },
                        Event: {
                          fields: {
                            timeUnixNano: { type: 'fixed64', id: 1 },
                            name: { type: 'string', id: 2 },
                            attributes: repeated(`${COMMON}.KeyValue`, 3),
                            droppedAttributesCount: { type: 'uint32', id: 4 },
                          },
                        },
                        Link: {
                          fields: {
                            traceId: { type: 'bytes', id: 1 },
                            spanId: { type: 'bytes', id: 2 },
                            traceState: { type: 'string', id: 3 },
                            attributes: repeated(`${COMMON}.KeyValue`, 4),
                            droppedAttributesCount: { type: 'uint32', id: 5 },
                            flags: { type: 'fixed32', id: 6 },
                          },
                        },
                      },
                    },
                    Status: {
                      fields: {
                        message: { type: 'string', id: 2 },
                        code: { type: 'StatusCode', id: 3 },
                      },
                      nested: {
                        StatusCode: { values: { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 } },
                      },
                    },
                  },
                },
              },
            },
            collector: {
              nested: {
                trace: {
                  nested: {
                    v1: {
                      nested: {
                        ExportTraceServiceRequest: {
                          fields: { resourceSpans: repeated('opentelemetry.proto.trace.v1.ResourceSpans', 1) },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

let requestType: ProtobufJs.Type | undefined;

function exportTraceServiceRequestType(): ProtobufJs.Type {
  if (requestType === undefined) {
    let protobuf: typeof ProtobufJs;
    try {
      protobuf = require('protobufjs') as typeof ProtobufJs;
    } catch (err) {
      throw new Error(`decoding kops trace files needs the protobufjs package: ${(err as Error).message}`, { cause: err });
    }
    requestType = protobuf.Root.fromJSON(SCHEMA).lookupType(
      'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
    );
  }
  return requestType;
}

/**
 * Decodes protobuf `ExportTraceServiceRequest` (or `TracesData`: same wire format) bytes into the
 * OTLP/JSON shape the upstream JSON serializer produces: lowerCamelCase keys, hex trace and span
 * ids, decimal-string nanosecond timestamps, enums as numbers, bytes values as base64. `intValue`
 * is a number when it is a safe integer and a decimal string otherwise, so spans read from either
 * format compare equal. Repeated fields are always arrays, possibly empty (the wire cannot tell an
 * empty list from an absent one); other fields absent on the wire are absent. Throws on malformed input.
 */
export function decodeExportTraceServiceRequest(bytes: Uint8Array): Json {
  const type = exportTraceServiceRequestType();
  const message = type.decode(bytes);
  const object = type.toObject(message, { longs: String, enums: Number, bytes: String, arrays: true }) as Json;
  for (const resourceSpans of objectsIn(object.resourceSpans)) {
    for (const scopeSpans of objectsIn(resourceSpans.scopeSpans)) {
      for (const span of objectsIn(scopeSpans.spans)) {
        idsToHex(span, ['traceId', 'spanId', 'parentSpanId']);
        for (const link of objectsIn(span.links)) idsToHex(link, ['traceId', 'spanId']);
      }
    }
  }
  normalizeIntValues(object);
  return object;
}

function objectsIn(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => typeof v === 'object' && v !== null) : [];
}

// OTLP/JSON carries ids as hex, not protobuf JSON's base64 (the one documented deviation).
function idsToHex(object: Json, keys: string[]): void {
  for (const key of keys) {
    const value = object[key];
    if (typeof value === 'string') object[key] = Buffer.from(value, 'base64').toString('hex');
  }
}

function normalizeIntValues(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) normalizeIntValues(item);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as Json;
  if (typeof object.intValue === 'string') {
    const n = Number(object.intValue);
    if (Number.isSafeInteger(n)) object.intValue = n;
  }
  for (const child of Object.values(object)) normalizeIntValues(child);
}
