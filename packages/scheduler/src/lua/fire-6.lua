--[[
  fire: enqueues the jobs of due schedule ticks, at most once per tick, in the target queue's hash slot. One call
  fires every tick a pass found due for this queue.

  This file is the script's tail: fire-script.ts prepends the client's enqueue script wrapped as the function
  enqueueJobs(KEYS, ARGV), so the jobs are stored exactly as Queue.enqueue stores them (pending, wake-ups, idempotent
  by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker  (the enqueue script's keys)
        6 fired (HASH: schedule name -> the latest tick ms fired into this queue)
  ARGV: 1 tick count  2 how many values the enqueue script takes per job (ENQUEUE_ARGS_PER_JOB), then per
        tick: schedule name, tick ms, and the enqueue script's values of one job (id "<name>:<tick>", v, task, …;
        see enqueue-5.lua)
  Returns: one integer per tick: 1 the job was created; 0 this tick or a later one was fired already (or the job
           exists); -1 the tick is not due on the Redis clock (nothing done).

  Invariant: a schedule's ticks fire in increasing order and each at most once, however many schedulers race and
  however long one of them stalls, and whether or not retention has since removed the job of an earlier tick.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = tonumber(ARGV[1])
local PER_JOB = tonumber(ARGV[2])
local out = {}
local args = { 0 }
local slots = {}
for i = 0, n - 1 do
  local o = 3 + i * (PER_JOB + 2)
  local name, tick = ARGV[o], tonumber(ARGV[o + 1])
  if tick > now then
    out[i + 1] = -1
  else
    local last = tonumber(redis.call('HGET', KEYS[6], name) or '-1')
    if last and last >= tick then
      out[i + 1] = 0
    else
      redis.call('HSET', KEYS[6], name, ARGV[o + 1])
      for j = o + 2, o + 1 + PER_JOB do args[#args + 1] = ARGV[j] end
      args[1] = args[1] + 1
      slots[#slots + 1] = i + 1
    end
  end
end
if #slots > 0 then
  args[1] = tostring(args[1])
  local created = enqueueJobs({ KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5] }, args)
  for j, slot in ipairs(slots) do out[slot] = created[j] end
end
return out
