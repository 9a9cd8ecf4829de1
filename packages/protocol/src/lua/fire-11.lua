--[[
  fire: enqueues the jobs of due schedule ticks, at most once per tick, in the target queue's hash slot. One call
  fires every tick a pass found due for this queue. The jobs are stored by enqueueJobs (includes/enqueue-jobs.lua),
  exactly as the enqueue script stores them (pending, wake-ups, idempotent by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker  6 events  7 meta  (the enqueue script's keys)
        8 fired (HASH: schedule name -> the latest tick ms fired into this queue)
        9 groups  10 gactive  11 gwait (the group keys, see includes/groups.lua)
  ARGV: 1 tick count, then per tick: schedule name, tick ms, and the enqueue script's ENQUEUE_ARGS_PER_JOB values of
        one job (id "<name>:<tick>", v, task, …; see enqueue-10.lua)
  Returns: one integer per tick: 1 the job was created; 0 this tick or a later one was fired already (or the job
           exists); -1 the tick is not due on the Redis clock (nothing done).

  Invariant: a schedule's ticks fire in increasing order and each at most once, however many schedulers race and
  however long one of them stalls, and whether or not retention has since removed the job of an earlier tick.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], marker = KEYS[5], events = KEYS[6],
            meta = KEYS[7], fired = KEYS[8], groups = KEYS[9], gactive = KEYS[10], gwait = KEYS[11] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include constants.lua
--@include now-ms.lua
--@include enqueue-jobs.lua

local now = nowMs()
local n = tonumber(ARGV[1])
local out = {}
local args = { 0 }
local slots = {}
for i = 0, n - 1 do
  local o = 2 + i * (ENQUEUE_ARGS_PER_JOB + 2)
  local name, tick = ARGV[o], tonumber(ARGV[o + 1])
  if tick > now then
    out[i + 1] = -1
  else
    local last = tonumber(redis.call('HGET', K.fired, name) or '-1')
    if last and last >= tick then
      out[i + 1] = 0
    else
      redis.call('HSET', K.fired, name, ARGV[o + 1])
      for j = o + 2, o + 1 + ENQUEUE_ARGS_PER_JOB do args[#args + 1] = ARGV[j] end
      args[1] = args[1] + 1
      slots[#slots + 1] = i + 1
    end
  end
end
if #slots > 0 then
  args[1] = tostring(args[1])
  local created = enqueueJobs(args)
  -- a tick whose job was a duplicate (its schedule's dedupe option) fired nothing new: 0, as for a tick fired before
  for j, slot in ipairs(slots) do out[slot] = type(created[j]) == 'string' and 0 or created[j] end
  flushEvents()
end
return out
