/**
 * Role process for the raw-list floor: not a product, the smallest at-least-once queue on Redis lists, as a yardstick
 * for what Redis and node-redis allow on this machine. A producer LPUSHes JSON payloads (one LPUSH per bulk call); a
 * worker, once half its slots are free, fills them from the pending list into a processing list with pipelined
 * LMOVEs (BLMOVE on a connection of its own when the list is empty) and removes each finished payload with LREM
 * from the tail, the removals of one tick pipelined. Nothing else: no job records, retries, leases, events or
 * counters. Delayed jobs (the backlog scenario) wait in a ZSET scored by their run time, which this worker never
 * looks at.
 */
import { createClient } from "redis";
import type { JobData } from "../protocol.js";
import { type LibraryAdapter, runRole, start } from "./role.js";

const keys = (queue: string) => ({
  pending: `floor:${queue}:pending`,
  processing: `floor:${queue}:processing`,
  delayed: `floor:${queue}:delayed`,
});

async function connect(url: string) {
  const client = createClient({ url });
  client.on("error", (error: Error) => console.error(`[floor] ${error.message}`));
  await client.connect();
  return client;
}

const adapter: LibraryAdapter = {
  async openProducer(config) {
    const client = await connect(config.url);
    const k = keys(config.queue);
    return {
      add: async (data) => {
        await client.lPush(k.pending, JSON.stringify(data));
      },
      addBulk: async (data, delayMs) => {
        if (delayMs) {
          const at = Date.now() + delayMs;
          await client.zAdd(
            k.delayed,
            data.map((d) => ({ score: at, value: JSON.stringify(d) })),
          );
          return;
        }
        await client.lPush(
          k.pending,
          data.map((d) => JSON.stringify(d)),
        );
      },
      close: () => client.close(),
    };
  },
  async openWorker(config, hooks) {
    const client = await connect(config.url);
    const blocking = await connect(config.url);
    const k = keys(config.queue);
    const concurrency = config.concurrency ?? 1;
    let running = 0;
    let lastGot = concurrency;
    let closed = false;
    let wake: (() => void) | undefined;
    const slotFreed = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    const freeSlot = () => {
      running--;
      const w = wake;
      wake = undefined;
      w?.();
    };
    const run = (payload: string) => {
      running++;
      void (async () => {
        hooks.onStart(JSON.parse(payload) as JobData);
        // The slot is free once the handler returned: the next moves go out in the same write as this removal,
        // without waiting for its reply. From the tail, where the oldest claims are: a FIFO finish finds its
        // payload in a step or two.
        const removed = client.lRem(k.processing, -1, payload);
        freeSlot();
        await removed;
        hooks.onCompleted();
      })().catch((error: unknown) => {
        hooks.onFailed(error);
      });
    };
    const loop = async () => {
      while (!closed) {
        const free = concurrency - running;
        // refill in batches: wait until half the slots are free (or all, for a small concurrency), and let the
        // finishes of this tick free theirs first
        if (free < Math.max(1, Math.floor(concurrency / 2))) {
          await slotFreed();
          await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        // as many moves as slots, but no more than twice what the last batch found (plus one) while the list
        // drains faster than it fills: moves of an empty list cost Redis as much as full ones
        const moved = await Promise.all(
          Array.from({ length: Math.min(free, 2 * lastGot + 1) }, () =>
            client.lMove(k.pending, k.processing, "RIGHT", "LEFT"),
          ),
        );
        let got = 0;
        for (const payload of moved) {
          if (payload === null) continue;
          got++;
          run(payload);
        }
        lastGot = got === moved.length ? concurrency : got;
        if (got > 0) continue;
        const payload = await blocking.blMove(k.pending, k.processing, "RIGHT", "LEFT", 1).catch(() => null);
        if (payload !== null && !closed) run(payload);
      }
    };
    const done = loop();
    return {
      close: async () => {
        closed = true;
        wake?.();
        blocking.destroy();
        await done.catch(() => {});
        await client.close();
      },
    };
  },
};

start(() => runRole(adapter));
