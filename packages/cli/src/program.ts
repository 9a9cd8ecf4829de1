import type { JobStatus } from "@tq/protocol";
import { Command, Option } from "commander";
import {
  choiceOption,
  integerOption,
  jobIdArgument,
  jobIdOption,
  millisecondsOption,
  priorityOption,
  queueArgument,
  statusOption,
  taskArgument,
} from "./arguments.js";
import { type CommonFlags, common } from "./command-kit.js";
import { DASHBOARD_PORT, type DashboardFlags, dashboardCommand } from "./commands/dashboard.js";
import { type DoctorFlags, doctorCommand, OVERDUE_GRACE_MS } from "./commands/doctor.js";
import { type EnqueueFlags, enqueueCommand } from "./commands/enqueue.js";
import { type GroupsFlags, groupsCommand } from "./commands/groups.js";
import { jobCommand } from "./commands/job.js";
import { type JobsFlags, jobsCommand } from "./commands/jobs.js";
import { cancelCommand, pauseCommand, retryCommand } from "./commands/manage.js";
import { purgeCommand } from "./commands/purge.js";
import { queuesCommand } from "./commands/queues.js";
import { schedulesCommand } from "./commands/schedules.js";
import { type StatsFlags, statsCommand } from "./commands/stats.js";
import { workersCommand } from "./commands/workers.js";
import type { CliIo } from "./io.js";

/** The most jobs `tq jobs` shows per page. */
export const MAX_PAGE = 1000;

const FOOTER = `
Environment: REDIS_URL (the Redis URL, the place for a password), TQ_PREFIX (the key prefix),
TQ_DASHBOARD_TOKEN (the dashboard's login token; TQ_DASHBOARD_HOST, _PORT and _READ_ONLY: its other flags), TQ_LOG_FORMAT (text or json: error lines as one JSON object each, level 50, time, msg).
Exit codes: 0 ok, 1 failure (Redis unreachable, no such queue or job, a doctor check failed), 2 bad usage.`;

/**
 * The `tq` command line: one commander program whose actions set `exitCode` (a command that succeeded but found
 * problems, `tq doctor`, returns 1 without an error line).
 */
export function buildProgram(io: CliIo, result: { exitCode: number }): Command {
  const program = new Command("tq")
    .description("Inspect and manage tq queues, jobs, workers and schedules.")
    .addHelpText("after", FOOTER)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
      // commander's errors ("error: unknown option '--x'") become the one `tq: …` line
      outputError: (text, write) =>
        write(
          `tq: ${text
            .replace(/^error: /, "")
            .replace(/\s*\n\s*/g, " ")
            .trim()}\n`,
        ),
    })
    .showSuggestionAfterError(true)
    .helpCommand(false);

  common(program.command("queues").description("list the known queues with their job counts")).action(
    (flags: CommonFlags) => queuesCommand(flags, io),
  );

  common(
    program
      .command("stats")
      .description("a queue's counts, paused state, oldest pending job, workers and throughput")
      .argument("<queue>", "the queue", queueArgument)
      .option("--watch", "print again every --interval-ms until Ctrl-C")
      .option(
        "--interval-ms <ms>",
        "with --watch: milliseconds between samples",
        integerOption(100, 3_600_000),
        2_000,
      ),
  ).action((queue: string, flags: StatsFlags) => statsCommand(queue, flags, io));

  common(
    program
      .command("groups")
      .description("one page of a queue's job groups with their pending and active jobs")
      .argument("<queue>", "the queue", queueArgument)
      .option("--limit <n>", "about how many groups per page, 1-1000", integerOption(1, 1000), 100)
      .option("--cursor <cursor>", "the cursor a previous page printed"),
  ).action((queue: string, flags: GroupsFlags) => groupsCommand(queue, flags, io));

  common(
    program
      .command("jobs")
      .description("one page of a queue's jobs in one state")
      .argument("<queue>", "the queue", queueArgument)
      .option(
        "--status <status>",
        "scheduled, pending, active, completed or failed",
        statusOption,
        "pending" as JobStatus,
      )
      .option("--limit <n>", `jobs per page, 1-${MAX_PAGE}`, integerOption(1, MAX_PAGE), 50)
      .option(
        "--offset <n>",
        "how many jobs of the state to skip (the next page's offset is printed)",
        integerOption(0),
        0,
      ),
  ).action((queue: string, flags: JobsFlags) => jobsCommand(queue, flags, io));

  common(
    program
      .command("job")
      .description("one job: its fields, timeline and errors")
      .argument("<queue>", "the queue", queueArgument)
      .argument("<id>", "the job id", jobIdArgument),
  ).action((queue: string, id: string, flags: CommonFlags) => jobCommand(queue, id, flags, io));

  common(
    program
      .command("enqueue")
      .description("enqueue one job (a new queue name creates the queue)")
      .argument("<queue>", "the queue", queueArgument)
      .argument("<task>", "the task name", taskArgument)
      .argument("[args-json]", 'the args as JSON, e.g. \'["a@b.c", "Hi"]\'')
      .option("--delay-ms <ms>", "run no earlier than this many milliseconds from now", millisecondsOption)
      .addOption(new Option("--priority <priority>", "high, normal or low").argParser(priorityOption))
      .option("--job-id <id>", "the job's id (idempotency key: an existing id creates nothing)", jobIdOption)
      .option("--max-retries <n>", "retries after the first run", integerOption(0, 1_000_000))
      .option("--group <name>", "the job's group (see setGroupConcurrency)"),
  ).action((queue: string, task: string, args: string | undefined, flags: EnqueueFlags) =>
    enqueueCommand(queue, task, args, flags, io),
  );

  common(
    program
      .command("retry")
      .description("put a failed job (or every failed job) back to pending")
      .argument("<queue>", "the queue", queueArgument)
      .argument("[id]", "the failed job's id", jobIdArgument)
      .option("--all-failed", "every failed job of the queue"),
  ).action((queue: string, id: string | undefined, flags: CommonFlags & { allFailed?: boolean }) =>
    retryCommand(queue, id, flags, io),
  );

  common(
    program
      .command("cancel")
      .description(
        "cancel a job: one not started (scheduled or pending) is removed; a running one ends failed (CANCELLED, no retry) and its handler's signal aborts",
      )
      .argument("<queue>", "the queue", queueArgument)
      .argument("<id>", "the job id", jobIdArgument),
  ).action((queue: string, id: string, flags: CommonFlags) => cancelCommand(queue, id, flags, io));

  common(
    program
      .command("purge")
      .description("delete every completed (or failed) job of a queue, 1,000 per Redis call")
      .argument("<queue>", "the queue", queueArgument)
      .addOption(
        new Option("--status <status>", "completed or failed")
          .argParser(choiceOption(["completed", "failed"] as const))
          .makeOptionMandatory(),
      ),
  ).action((queue: string, flags: CommonFlags & { status: "completed" | "failed" }) =>
    purgeCommand(queue, flags, io),
  );

  common(
    program
      .command("pause")
      .description("stop workers from claiming the queue's jobs (running ones finish)")
      .argument("<queue>", "the queue", queueArgument),
  ).action((queue: string, flags: CommonFlags) => pauseCommand(queue, true, flags, io));

  common(
    program
      .command("resume")
      .description("let workers claim the queue's jobs again")
      .argument("<queue>", "the queue", queueArgument),
  ).action((queue: string, flags: CommonFlags) => pauseCommand(queue, false, flags, io));

  common(
    program
      .command("workers")
      .description("the live workers of every queue (or of one): load, heartbeat, stale or not")
      .argument("[queue]", "only this queue", queueArgument),
  ).action((queue: string | undefined, flags: CommonFlags) => workersCommand(queue, flags, io));

  common(program.command("schedules").description("list the cron and interval schedules")).action(
    (flags: CommonFlags) => schedulesCommand(flags, io),
  );

  common(
    program
      .command("doctor")
      .description("check Redis and the queues for what bites in production; exit 1 when something is wrong")
      .option(
        "--grace-ms <ms>",
        "how long past its lease or run time a job may be before it counts as left alone",
        integerOption(0, 86_400_000),
        OVERDUE_GRACE_MS,
      ),
  ).action(async (flags: DoctorFlags) => {
    result.exitCode = await doctorCommand(flags, io);
  });

  common(
    program
      .command("dashboard")
      .description("serve the web dashboard (queues, jobs, workers, schedules, live) until Ctrl-C")
      .option(
        "--port <n>",
        `the port to listen on (0: any free port) (default: $TQ_DASHBOARD_PORT, else ${DASHBOARD_PORT})`,
        integerOption(0, 65_535),
      )
      .option(
        "--host <host>",
        "the address to listen on; a non-loopback one needs a token (default: $TQ_DASHBOARD_HOST, else 127.0.0.1)",
      )
      .option("--read-only", "show no action and refuse every change (or TQ_DASHBOARD_READ_ONLY=1)")
      .option(
        "--token <token>",
        "require this token to log in (default: $TQ_DASHBOARD_TOKEN; prefer the variable: flags show in ps)",
      ),
    { json: false },
  ).action((flags: DashboardFlags) => dashboardCommand(flags, io));

  for (const command of program.commands) command.addHelpText("after", FOOTER);
  return program;
}
