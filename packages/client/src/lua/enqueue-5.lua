--[[
  enqueue: stores new jobs and makes each pending, or scheduled when it has a run time in the future.
  A job whose id already exists is left untouched (idempotent enqueue by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker
  ARGV: 1 base  2 job count, then per job: id, data (envelope JSON), priority, maxRetries,
        delayMs (relative to the Redis clock; 0 = none), runAtMs (absolute epoch ms; 0 = none)
  Returns: one integer per job: 1 created, 0 an existing job has that id.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], marker = KEYS[5] }
local BASE = ARGV[1]
--@include common.lua

local now = nowMs()
local n = tonumber(ARGV[2])
local out = {}
local ready = false
local earliest = nil
for i = 0, n - 1 do
  local o = 3 + i * 6
  local id, data, pri, maxr = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  local delay, at = tonumber(ARGV[o + 4]), tonumber(ARGV[o + 5])
  local jk = jobKey(id)
  if redis.call('EXISTS', jk) == 1 then
    out[#out + 1] = 0
  else
    local runAt = 0
    if at > 0 then runAt = at elseif delay > 0 then runAt = now + delay end
    if runAt > now then
      redis.call('HSET', jk, 'data', data, 'state', 'scheduled', 'pri', pri, 'maxr', maxr, 'att', 0, 'runAt', runAt)
      redis.call('ZADD', K.scheduled, runAt, id)
      if not earliest or runAt < earliest then earliest = runAt end
    else
      redis.call('HSET', jk, 'data', data, 'state', 'pending', 'pri', pri, 'maxr', maxr, 'att', 0)
      redis.call('LPUSH', pendingKey(pri), id)
      ready = true
    end
    out[#out + 1] = 1
  end
end
if ready then wakeWorkers() end
if earliest then wakeAt(earliest) end
return out
