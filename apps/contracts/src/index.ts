import { defineTask } from "@tq/job-schema";
import { z } from "zod";

/** The queue the example apps share. */
export const DEMO_QUEUE = "tasks";

/** send_email(to, subject): the tutorial's first task. */
export const sendEmail = defineTask({
  name: "send_email",
  args: z.tuple([z.string().email(), z.string().min(1)]),
  result: z.object({ delivered: z.boolean(), to: z.string() }),
  defaults: { maxRetries: 3, backoff: { type: "exponential", delayMs: 200, maxDelayMs: 2_000 } },
});

/** resize_image(path, width, height). */
export const resizeImage = defineTask({
  name: "resize_image",
  args: z.tuple([z.string().startsWith("/"), z.number().int().positive(), z.number().int().positive()]),
  result: z.object({ path: z.string(), width: z.number(), height: z.number() }),
  defaults: { timeoutMs: 10_000 },
});

/** generate_report(type, period). */
export const generateReport = defineTask({
  name: "generate_report",
  args: z.tuple([z.string().min(1), z.string().min(1)]),
  result: z.object({ report: z.string(), rows: z.number() }),
  defaults: { priority: "low" },
});
