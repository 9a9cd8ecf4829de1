import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { MAX_TRACE_CARRIER_CHARS, queueKeys, tqTracer } from "@tq/protocol";
import { waitFor } from "@tq/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, test } from "vitest";
import { Harness } from "./helpers.js";
import { fixture, setupPool } from "./pool-helpers.js";

const h = new Harness(inject("redisUrl"));
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

function spansNamed(name: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((span) => span.name === name);
}

/** Waits until `count` finished spans are called `name`. */
function waitForSpans(name: string, count: number): Promise<ReadableSpan[]> {
  return waitFor(() => (spansNamed(name).length >= count ? spansNamed(name) : undefined), {
    timeoutMs: 20_000,
    what: `${count} span(s) "${name}"`,
  });
}

describe("tracing with @opentelemetry/api and an SDK registered", () => {
  test("enqueue makes a producer span; the run is a consumer span in the same trace, its child and linked to it", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      greet: async ([name]: [string]) => {
        // a span the handler starts is a child of the run's span
        trace.getTracer("app").startActiveSpan("greet-inner", (span) => span.end());
        return `hello ${name}`;
      },
    });
    await worker.start();
    const job = await queue.enqueue("greet", ["ada"]);
    expect(await queue.waitForResult(job.id, { timeoutMs: 20_000 })).toBe("hello ada");

    const [producer] = await waitForSpans(`send ${queue.name}`, 1);
    const [consumer] = await waitForSpans(`process ${queue.name}`, 1);
    const [inner] = await waitForSpans("greet-inner", 1);
    expect(producer!.kind).toBe(SpanKind.PRODUCER);
    expect(producer!.instrumentationScope.name).toBe("@tq/client");
    expect(producer!.attributes).toEqual({
      "messaging.system": "tq",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": queue.name,
      "messaging.message.id": job.id,
      "tq.task": "greet",
    });
    expect(producer!.status.code).toBe(SpanStatusCode.UNSET);

    expect(consumer!.kind).toBe(SpanKind.CONSUMER);
    expect(consumer!.instrumentationScope.name).toBe("@tq/worker");
    expect(consumer!.attributes).toEqual({
      "messaging.system": "tq",
      "messaging.operation.type": "process",
      "messaging.operation.name": "process",
      "messaging.destination.name": queue.name,
      "messaging.message.id": job.id,
      "messaging.client.id": worker.workerId,
      "tq.task": "greet",
      "tq.attempt": 1,
    });
    const producerContext = producer!.spanContext();
    expect(consumer!.spanContext().traceId).toBe(producerContext.traceId);
    expect(consumer!.parentSpanContext?.spanId).toBe(producerContext.spanId);
    expect(consumer!.links.map((link) => link.context.spanId)).toEqual([producerContext.spanId]);
    expect(consumer!.status.code).toBe(SpanStatusCode.UNSET);

    expect(inner!.spanContext().traceId).toBe(producerContext.traceId);
    expect(inner!.parentSpanContext?.spanId).toBe(consumer!.spanContext().spanId);
  });

  test("the job carries the trace context in its record, and getJob does not show it", async () => {
    const queue = h.queue();
    const outer = trace.getTracer("app").startSpan("request");
    const job = await context.with(trace.setSpan(context.active(), outer), () =>
      queue.enqueue("t", [1], { tc: { traceparent: "forged" } } as never),
    );
    outer.end();
    const [producer] = await waitForSpans(`send ${queue.name}`, 1);
    // an enqueue inside the application's span is its child
    expect(producer!.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    const raw = await h.raw();
    const opts = JSON.parse((await raw.hGet(queueKeys(queue.name).job(job.id), "opts")) ?? "null");
    const { traceId, spanId } = producer!.spanContext();
    // the producer's context, not what the caller tried to pass as an option
    expect(opts).toEqual({ tc: { traceparent: `00-${traceId}-${spanId}-01` } });
    const info = await queue.getJob(job.id);
    expect(Object.keys(info!)).not.toContain("trace");
    expect(JSON.stringify(info)).not.toContain(traceId);
  });

  test("a failing run is an ERROR consumer span with the exception recorded, one per attempt", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      boom: async () => {
        throw new TypeError("no such user");
      },
    });
    await worker.start();
    const job = await queue.enqueue("boom", [], { maxRetries: 1, backoff: { type: "fixed", delayMs: 10 } });
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", { timeoutMs: 20_000 });
    const consumers = await waitForSpans(`process ${queue.name}`, 2);
    const [producer] = await waitForSpans(`send ${queue.name}`, 1);
    expect(consumers.map((span) => span.attributes["tq.attempt"]).sort()).toEqual([1, 2]);
    for (const span of consumers) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "no such user" });
      expect(span.attributes["error.type"]).toBe("TypeError");
      const exception = span.events.find((event) => event.name === "exception");
      expect(exception?.attributes).toMatchObject({
        "exception.type": "TypeError",
        "exception.message": "no such user",
      });
      expect(span.parentSpanContext?.spanId).toBe(producer!.spanContext().spanId);
    }
  });

  test("a hostile thrown value still settles the run and ends its span with ERROR", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, {
      hostile: async () => {
        const error = new Error("x");
        Object.defineProperty(error, "message", {
          get() {
            throw new Error("message getter");
          },
        });
        throw error;
      },
    });
    await worker.start();
    const job = await queue.enqueue("hostile", [], { maxRetries: 0 });
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", { timeoutMs: 20_000 });
    const [consumer] = await waitForSpans(`process ${queue.name}`, 1);
    expect(consumer!.status.code).toBe(SpanStatusCode.ERROR);
  });

  test("a tq failure names its code in error.type", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, { known: async () => null });
    await worker.start();
    const job = await queue.enqueue("unknown", [], { maxRetries: 0 });
    await waitFor(async () => (await queue.getJob(job.id))?.status === "failed", { timeoutMs: 20_000 });
    const [consumer] = await waitForSpans(`process ${queue.name}`, 1);
    expect(consumer!.status.code).toBe(SpanStatusCode.ERROR);
    expect(consumer!.attributes["error.type"]).toBe("UNKNOWN_TASK");
  });

  test("enqueueMany is one producer span for the batch; each run is its child", async () => {
    const queue = h.queue();
    const worker = h.worker(queue.name, { t: async ([n]: [number]) => n });
    await worker.start();
    const jobs = await queue.enqueueMany([
      { task: "t", args: [1] },
      { task: "t", args: [2] },
      { task: "t", args: [3] },
    ]);
    for (const job of jobs) await queue.waitForResult(job.id, { timeoutMs: 20_000 });
    const producers = await waitForSpans(`send ${queue.name}`, 1);
    expect(producers).toHaveLength(1);
    expect(producers[0]!.attributes).toEqual({
      "messaging.system": "tq",
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "messaging.destination.name": queue.name,
      "messaging.batch.message_count": 3,
    });
    const consumers = await waitForSpans(`process ${queue.name}`, 3);
    expect(consumers.map((span) => span.attributes["messaging.message.id"]).sort()).toEqual(
      jobs.map((job) => job.id).sort(),
    );
    for (const span of consumers) {
      expect(span.parentSpanContext?.spanId).toBe(producers[0]!.spanContext().spanId);
      expect(span.links[0]?.context.spanId).toBe(producers[0]!.spanContext().spanId);
    }
  });

  test("a refused enqueue ends its producer span with ERROR", async () => {
    const queue = h.queue();
    await expect(queue.enqueue("t", [], { maxRetries: -1 })).rejects.toMatchObject({ code: "VALIDATION" });
    const [producer] = await waitForSpans(`send ${queue.name}`, 1);
    expect(producer!.status.code).toBe(SpanStatusCode.ERROR);
    expect(producer!.attributes["error.type"]).toBe("VALIDATION");
  });
});

describe("the trace context a propagator writes", () => {
  afterEach(() => {
    propagation.disable();
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });

  function propagatorWriting(fields: Record<string, string>): TextMapPropagator {
    return {
      inject: (_context, carrier, setter) => {
        for (const [key, value] of Object.entries(fields)) setter.set(carrier, key, value);
      },
      extract: (context) => context,
      fields: () => Object.keys(fields),
    };
  }

  function usePropagator(propagator: TextMapPropagator): void {
    propagation.disable();
    propagation.setGlobalPropagator(propagator);
  }

  test("is what the job carries", () => {
    usePropagator(propagatorWriting({ traceparent: TRACEPARENT, tracestate: "a=1" }));
    const publish = tqTracer("@tq/client")!.startPublish("emails", 2)!;
    publish.end();
    expect(publish.carrier).toEqual({ traceparent: TRACEPARENT, tracestate: "a=1" });
  });

  test(`is cut to traceparent and tracestate beyond ${MAX_TRACE_CARRIER_CHARS} characters`, () => {
    usePropagator(
      propagatorWriting({ traceparent: TRACEPARENT, baggage: "k=".padEnd(MAX_TRACE_CARRIER_CHARS, "v") }),
    );
    const publish = tqTracer("@tq/client")!.startPublish("emails", 1)!;
    publish.end();
    expect(publish.carrier).toEqual({ traceparent: TRACEPARENT });
  });
});

describe("tracing in WorkerPool children", () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()?.();
  });

  test("a child whose handler module registers an SDK traces its runs as a Worker does", async () => {
    const { producer, pool } = setupPool("trace-pool", cleanup, {
      module: fixture("pool-tasks-tracing.mjs"),
      processes: 1,
    });
    await pool.start();
    const job = await producer.enqueue("active", []);
    const active = (await producer.waitForResult(job.id, { timeoutMs: 60_000 })) as {
      pid: number;
      traceId: string;
      spanId: string;
    };
    expect(active.pid).not.toBe(process.pid);
    const [producerSpan] = await waitForSpans(`send ${producer.name}`, 1);
    expect(active.traceId).toBe(producerSpan!.spanContext().traceId);

    const report = await producer.enqueue("spans", []);
    const spans = (await producer.waitForResult(report.id, { timeoutMs: 60_000 })) as Array<{
      name: string;
      kind: number;
      traceId: string;
      spanId: string;
      parentSpanId?: string;
      links: string[];
      attributes: Record<string, unknown>;
    }>;
    const run = spans.find((span) => span.attributes["messaging.message.id"] === job.id);
    expect(run).toMatchObject({
      name: `process ${producer.name}`,
      kind: SpanKind.CONSUMER,
      traceId: producerSpan!.spanContext().traceId,
      spanId: active.spanId,
      parentSpanId: producerSpan!.spanContext().spanId,
      links: [producerSpan!.spanContext().spanId],
      attributes: { "tq.task": "active", "tq.attempt": 1 },
    });
  });
});
