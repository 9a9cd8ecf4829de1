--[[
  enqueue: stores new jobs and makes each pending, or scheduled when it has a run time in the future.
  A job whose id already exists is left untouched (idempotent enqueue by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker
  ARGV: 1 base  2 job count, then per job: id, v, task, args, opts, createdAt, priority, maxRetries,
        delayMs (relative to the Redis clock; 0 = none), runAtMs (absolute epoch ms; 0 = none)
  Returns: one integer per job: 1 created, 0 an existing job has that id.

  Invariant: all or nothing. The first write is the one that can be refused (maxmemory), so a refused call
  stores no job.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], marker = KEYS[5] }
local BASE = ARGV[1]
--@include common.lua

local n = tonumber(ARGV[2])
local out = {}
local now = nil
local earliest = nil
local ready = { high = {}, normal = {}, low = {} }
local anyReady = false
for i = 0, n - 1 do
  local o = 3 + i * 10
  local id = ARGV[o]
  local jk = jobKey(id)
  if redis.call('EXISTS', jk) == 1 then
    out[#out + 1] = 0
  else
    local pri = ARGV[o + 6]
    local delay, at = tonumber(ARGV[o + 8]), tonumber(ARGV[o + 9])
    local runAt = 0
    if at > 0 or delay > 0 then
      now = now or nowMs()
      if at > 0 then runAt = at else runAt = now + delay end
    end
    if runAt > 0 and runAt > now then
      redis.call('HSET', jk, 'v', ARGV[o + 1], 'task', ARGV[o + 2], 'args', ARGV[o + 3], 'opts', ARGV[o + 4],
        'createdAt', ARGV[o + 5], 'pri', pri, 'maxr', ARGV[o + 7], 'att', 0, 'state', 'scheduled', 'runAt', runAt)
      redis.call('ZADD', K.scheduled, runAt, id)
      if not earliest or runAt < earliest then earliest = runAt end
    else
      redis.call('HSET', jk, 'v', ARGV[o + 1], 'task', ARGV[o + 2], 'args', ARGV[o + 3], 'opts', ARGV[o + 4],
        'createdAt', ARGV[o + 5], 'pri', pri, 'maxr', ARGV[o + 7], 'att', 0, 'state', 'pending')
      local list = ready[pri] or ready.normal
      list[#list + 1] = id
      anyReady = true
    end
    out[#out + 1] = 1
  end
end
if anyReady then
  for _, pri in ipairs({ 'high', 'normal', 'low' }) do
    pushAll('LPUSH', pendingKey(pri), ready[pri])
  end
  wakeWorkers()
end
if earliest then wakeAt(earliest) end
return out
