// Public configuration of the fastify instrumentation (none beyond enabled).
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export type FastifyInstrumentationConfig = InstrumentationConfig;
