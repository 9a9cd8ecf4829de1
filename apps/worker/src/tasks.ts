// The tutorial's tasks. The WorkerPool loads this module in each worker process (its default export).
// Each pretends to work for a few milliseconds; TQ_TASK_MS sets how long instead (e.g. to watch jobs run).
import type { generateReport, resizeImage, sendEmail } from "@tq/example-contracts";
import { UnrecoverableError } from "@tq/job-schema";
import type { TaskHandler } from "@tq/worker";

const TASK_MS = process.env.TQ_TASK_MS ? Number(process.env.TQ_TASK_MS) : undefined;

const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, TASK_MS ?? ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const send_email: TaskHandler<typeof sendEmail> = async ([to, subject], ctx) => {
  if (to.startsWith("flaky@") && ctx.attempt === 1) throw new Error(`SMTP timeout sending to ${to}`);
  await pause(30, ctx.signal);
  console.log(`Sending email to ${to}: ${subject} (pid ${process.pid})`);
  return { delivered: true, to };
};

const resize_image: TaskHandler<typeof resizeImage> = async ([path, width, height], ctx) => {
  if (path.includes("missing")) throw new UnrecoverableError(`no such file: ${path}`);
  await ctx.progress(50);
  await pause(50, ctx.signal);
  console.log(`Resizing ${path} to ${width}x${height} (pid ${process.pid})`);
  return { path, width, height };
};

const generate_report: TaskHandler<typeof generateReport> = async ([reportType, period], ctx) => {
  await pause(80, ctx.signal);
  console.log(`Generating ${reportType} report for ${period} (pid ${process.pid})`);
  return { report: `${reportType}-${period}`, rows: 42 };
};

export default { send_email, resize_image, generate_report };
