--[[
  sweep: the scheduler's pass over one queue: moves due scheduled jobs to pending and takes back expired leases,
  so time-based work moves even while every worker is busy or stopped.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 active  6 failed  7 marker  8 meta  9 events
        10 throughput (per-minute completed/failed counts)
        11 groups  12 gactive  13 gwait (the group keys, see includes/groups.lua)
  ARGV: 1 limit per call
  Returns: { promoted, requeued, nextWakeMs }
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], active = KEYS[5],
            failed = KEYS[6], marker = KEYS[7], meta = KEYS[8], events = KEYS[9],
            throughput = KEYS[10], groups = KEYS[11], gactive = KEYS[12], gwait = KEYS[13] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include now-ms.lua
--@include promote-due.lua
--@include reclaim-expired.lua
--@include wake-workers.lua
--@include wake-flags.lua
--@include retention.lua
--@include next-wake.lua
--@include events.lua

local now = nowMs()
local limit = tonumber(ARGV[1])
local promoted = promoteDue(now, limit)
local requeued = reclaimExpired(now, limit)
if promoted + requeued > 0 or WAKE.ready then wakeWorkers() end
if redis.call('ZCARD', K.failed) > 0 then applyRetention(now, false, true) end
flushEvents(now)
return { promoted, requeued, nextWake(now) }
