--[[
  enqueue: stores new jobs and makes each pending, or scheduled when it has a run time in the future.
  A job whose id already exists is left untouched (idempotent enqueue by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker  6 events  7 meta (totals)
        8 groups  9 gactive  10 gwait (the group keys, see includes/groups.lua)
  ARGV: 1 job count n, then per job: id, v, task, args, opts, createdAt, priority, maxRetries,
        delayMs (relative to the Redis clock; 0 = none), runAtMs (absolute epoch ms; 0 = none),
        dedupe ("" = none, else "<t|d> <ttlMs> <maxDelayMs> <key>": throttle or debounce by key),
        group ("" = none: the job waits in a pending list; else in its group),
        then, all optional:
        2+n*12  maxPending: the most jobs waiting to run (pending + scheduled) the queue may hold; 0 or absent = no limit
        3+n*12  "all": the batch is refused as a whole when its new jobs do not all fit under maxPending;
                otherwise each job is admitted in order while there is room
        4+n*12  "1": this call re-sends one whose reply was lost; an existing job whose envelope equals the one sent
                was stored by the earlier send and is reported as created
        (12 is ENQUEUE_ARGS_PER_JOB; see includes/enqueue-jobs.lua)
  Returns: one value per job: 1 created, 0 an existing job has that id, -1 refused because the queue is full
           (maxPending), or the id of the job it is a duplicate of (dedupe); with "all", either no -1 or every
           job -1 (and nothing stored).
  Events: one entry with the stored jobs' ids under `enqueued`; their count is added to meta's `total:enqueued`.

  Invariant: all or nothing. The first write is the one that can be refused (maxmemory), so a refused call
  stores no job; a call refused by maxPending writes nothing.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], marker = KEYS[5], events = KEYS[6],
            meta = KEYS[7], groups = KEYS[8], gactive = KEYS[9], gwait = KEYS[10] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include enqueue-jobs.lua

local out = enqueueJobs(ARGV)
flushEvents()
return out
