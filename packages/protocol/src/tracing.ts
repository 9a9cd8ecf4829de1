import { createRequire } from "node:module";
import type * as OtelApi from "@opentelemetry/api";

/**
 * OpenTelemetry tracing for tq, through `@opentelemetry/api` when the application has it installed (an optional peer
 * dependency). The API is resolved once per process, synchronously, the first time a Queue or Worker is made; when
 * it is not installed nothing is loaded and `tqTracer` returns `undefined`, so callers pay one `undefined` check. With
 * the API installed but no SDK registered, spans are the API's no-op spans and no trace context is stored.
 *
 * Spans follow the OpenTelemetry messaging semantic conventions: `send <queue>` (kind PRODUCER) per enqueue call and
 * `process <queue>` (kind CONSUMER) per run, a child of the producer span and linked to it.
 */

/**
 * A job's trace context as the registered propagator writes it: with the default W3C propagator `traceparent` and,
 * when set, `tracestate`. Stored in the job record's options under the reserved key `tc`.
 */
export type TraceCarrier = Record<string, string>;

/** `messaging.system` of tq's spans. */
export const MESSAGING_SYSTEM = "tq";

/**
 * The most characters (keys and values) of trace context a job carries. Beyond it (a large baggage header) only
 * `traceparent` and `tracestate` are kept, so tracing never pushes a job over its payload cap.
 */
export const MAX_TRACE_CARRIER_CHARS = 2_048;

/** The producer span of one enqueue call. */
export interface PublishSpan {
  /** The trace context to store in each job of the call; `undefined` when there is none to carry (no SDK). */
  readonly carrier: TraceCarrier | undefined;
  /** Names the job of a single-job call once its id is known (`messaging.message.id`). */
  messageId(id: string, task: string): void;
  /** Ends the span; with an error, its status is ERROR and the exception is recorded. */
  end(error?: unknown): void;
}

/** The consumer span of one run. */
export interface ProcessSpan {
  /** Calls `fn` with the span as the active span, so spans started in it are its children. */
  run<T>(fn: () => T): T;
  /** Ends the span (once); with an error, its status is ERROR and the exception is recorded. */
  end(error?: unknown): void;
}

/** What a consumer span describes. */
export interface ProcessSpanInput {
  queue: string;
  id: string;
  /** Absent when the record could not be decoded. */
  task?: string;
  attempt: number;
  workerId: string;
  /** The trace context the job carries, if any. */
  trace?: TraceCarrier;
}

/** Starts tq's spans. */
export interface TqTracer {
  /** Whether an SDK is registered now, so that spans record: callers skip building a span's input otherwise. */
  readonly active: boolean;
  /**
   * A `send <queue>` span for one enqueue call of `count` jobs; `undefined` while no SDK is registered (no span,
   * nothing stored in the jobs).
   */
  startPublish(queue: string, count: number): PublishSpan | undefined;
  /** A `process <queue>` span for one run; `undefined` while no SDK is registered. */
  startProcess(input: ProcessSpanInput): ProcessSpan | undefined;
}

type Api = typeof OtelApi;

/** Resolves `@opentelemetry/api`: returns the module, or throws when it cannot be loaded. */
export type TracingApiLoader = () => unknown;

function requireApi(): unknown {
  // CJS builds have __filename; ESM builds resolve from this module's URL
  const require = createRequire(typeof __filename === "string" ? __filename : import.meta.url);
  return require("@opentelemetry/api");
}

let cached: { api: Api | undefined } | undefined;

function loadApi(load: TracingApiLoader): Api | undefined {
  try {
    const api = load() as Partial<Api> | undefined;
    if (
      typeof api?.trace?.getTracer === "function" &&
      typeof api.propagation?.inject === "function" &&
      typeof api.context?.with === "function"
    ) {
      return api as Api;
    }
  } catch {
    // not installed (or not loadable): tracing is off
  }
  return undefined;
}

/**
 * tq's tracer for the instrumentation `name` (a package name), or `undefined` when `@opentelemetry/api` cannot be
 * loaded. The default loader runs once per process and its answer is kept; a loader passed in is asked each time.
 */
export function tqTracer(name: string, version?: string, load?: TracingApiLoader): TqTracer | undefined {
  let api: Api | undefined;
  if (load) api = loadApi(load);
  else {
    cached ??= { api: loadApi(requireApi) };
    api = cached.api;
  }
  return api ? new OtelTracer(api, api.trace.getTracer(name, version)) : undefined;
}

function limitCarrier(carrier: TraceCarrier): TraceCarrier | undefined {
  let chars = 0;
  for (const [key, value] of Object.entries(carrier)) chars += key.length + value.length;
  if (chars === 0) return undefined;
  if (chars <= MAX_TRACE_CARRIER_CHARS) return carrier;
  const kept: TraceCarrier = {};
  if (typeof carrier.traceparent === "string") kept.traceparent = carrier.traceparent;
  if (typeof carrier.tracestate === "string" && carrier.tracestate.length <= 512)
    kept.tracestate = carrier.tracestate;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/**
 * Ends `span`, with status ERROR and the exception recorded when there is an error. Never throws: a hostile thrown
 * value (a getter that throws) or a failing exporter must not keep a run from settling.
 */
function endSpan(api: Api, span: OtelApi.Span, error: unknown): void {
  if (error !== undefined) {
    try {
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      const err = error instanceof Error ? error : new Error(String(error));
      span.recordException(err);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String(err.message) });
      const code = (err as { code?: unknown }).code;
      span.setAttribute("error.type", typeof code === "string" && code !== "" ? code : err.name || "Error");
    } catch {
      // what could be read of the error is on the span
    }
  }
  try {
    span.end();
  } catch {
    // a span processor that throws is the SDK's to report
  }
}

/**
 * The API's no-op tracer provider: what the global provider delegates to until an SDK registers one. A fresh
 * `ProxyTracerProvider` delegates to it, which is how it is found (the API does not export it).
 */
function noopProvider(api: Api): unknown {
  try {
    return new api.ProxyTracerProvider().getDelegate();
  } catch {
    return undefined;
  }
}

class OtelTracer implements TqTracer {
  readonly #api: Api;
  readonly #tracer: OtelApi.Tracer;
  readonly #noop: unknown;

  constructor(api: Api, tracer: OtelApi.Tracer) {
    this.#api = api;
    this.#tracer = tracer;
    this.#noop = noopProvider(api);
  }

  /**
   * Whether an SDK is registered. Checked per call (an application may register its SDK after creating its queues)
   * and cheap: with the API installed but no SDK, enqueues and runs pay one property read and a comparison, not a
   * no-op span each.
   */
  get active(): boolean {
    return this.#recording();
  }

  #recording(): boolean {
    if (this.#noop === undefined) return true;
    const provider = this.#api.trace.getTracerProvider() as { getDelegate?: () => unknown };
    return typeof provider.getDelegate !== "function" || provider.getDelegate() !== this.#noop;
  }

  startPublish(queue: string, count: number): PublishSpan | undefined {
    if (!this.#recording()) return undefined;
    const api = this.#api;
    const attributes: OtelApi.Attributes = {
      "messaging.system": MESSAGING_SYSTEM,
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": queue,
    };
    // the semantic conventions set the batch size only for batches
    if (count !== 1) attributes["messaging.batch.message_count"] = count;
    const span = this.#tracer.startSpan(`send ${queue}`, { kind: api.SpanKind.PRODUCER, attributes });
    let carrier: TraceCarrier | undefined;
    // a no-op span (no SDK) has no context to carry: skip the propagator
    if (api.trace.isSpanContextValid(span.spanContext())) {
      const fields: TraceCarrier = {};
      api.propagation.inject(api.trace.setSpan(api.context.active(), span), fields);
      carrier = limitCarrier(fields);
    }
    return {
      carrier,
      messageId(id, task) {
        span.setAttribute("messaging.message.id", id);
        span.setAttribute("tq.task", task);
      },
      end(error) {
        endSpan(api, span, error);
      },
    };
  }

  startProcess(input: ProcessSpanInput): ProcessSpan | undefined {
    if (!this.#recording()) return undefined;
    const api = this.#api;
    // a run's parent is the job's producer, never whatever context the worker loop happens to be in
    const parent = input.trace ? api.propagation.extract(api.ROOT_CONTEXT, input.trace) : api.ROOT_CONTEXT;
    const producer = api.trace.getSpanContext(parent);
    const links: OtelApi.Link[] =
      producer && api.trace.isSpanContextValid(producer) ? [{ context: producer }] : [];
    const attributes: OtelApi.Attributes = {
      "messaging.system": MESSAGING_SYSTEM,
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": input.queue,
      "messaging.message.id": input.id,
      "messaging.client.id": input.workerId,
      "tq.attempt": input.attempt,
    };
    if (input.task !== undefined) attributes["tq.task"] = input.task;
    const span = this.#tracer.startSpan(
      `process ${input.queue}`,
      { kind: api.SpanKind.CONSUMER, attributes, links },
      parent,
    );
    const active = api.trace.setSpan(parent, span);
    let ended = false;
    return {
      run: (fn) => api.context.with(active, fn),
      end(error) {
        if (ended) return;
        ended = true;
        endSpan(api, span, error);
      },
    };
  }
}
