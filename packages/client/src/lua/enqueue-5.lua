--[[
  enqueue: stores new jobs and makes each pending, or scheduled when it has a run time in the future.
  A job whose id already exists is left untouched (idempotent enqueue by job id).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 marker
  ARGV: 1 job count n, then per job: id, v, task, args, opts, createdAt, priority, maxRetries,
        delayMs (relative to the Redis clock; 0 = none), runAtMs (absolute epoch ms; 0 = none),
        then, all optional:
        2+n*10  maxPending: the most jobs waiting to run (pending + scheduled) the queue may hold; 0 or absent = no limit
        3+n*10  "all": the batch is refused as a whole when its new jobs do not all fit under maxPending;
                otherwise each job is admitted in order while there is room
        4+n*10  "1": this call re-sends one whose reply was lost; an existing job whose envelope equals the one sent
                was stored by the earlier send and is reported as created
  Returns: one integer per job: 1 created, 0 an existing job has that id, -1 refused because the queue is full
           (maxPending); with "all", either no -1 or every job -1 (and nothing stored).

  Invariant: all or nothing. The first write is the one that can be refused (maxmemory), so a refused call
  stores no job; a call refused by maxPending writes nothing.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], marker = KEYS[5] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include common.lua
--@include job-read.lua

local n = tonumber(ARGV[1])
local tail = 2 + n * 10
local limit = tonumber(ARGV[tail] or '0') or 0
local resend = ARGV[tail + 2] == '1'

-- On a re-send, whether the stored job is the one this call sent (the same envelope) rather than another producer's.
local function sentBefore(jk, o)
  local f = tryJobFields(jk, 'v', 'task', 'args', 'opts', 'createdAt', 'pri', 'maxr')
  if not f then return false end
  for j = 1, 7 do
    if f[j] ~= ARGV[o + j] then return false end
  end
  return true
end

-- Room left under maxPending (nil = no limit).
local room = nil
if limit > 0 then
  room = limit - redis.call('LLEN', K.high) - redis.call('LLEN', K.normal) - redis.call('LLEN', K.low)
    - redis.call('ZCARD', K.scheduled)
  if ARGV[tail + 1] == 'all' then
    local fresh, seen = 0, {}
    for i = 0, n - 1 do
      local id = ARGV[2 + i * 10]
      if not seen[id] and redis.call('EXISTS', jobKey(id)) == 0 then fresh = fresh + 1 end
      seen[id] = true
    end
    if fresh > room then
      local refused = {}
      for i = 1, n do refused[i] = -1 end
      return refused
    end
  end
end

local out = {}
local now = nil
local earliest = nil
local ready = { high = {}, normal = {}, low = {} }
local anyReady = false
for i = 0, n - 1 do
  local o = 2 + i * 10
  local id = ARGV[o]
  local jk = jobKey(id)
  if redis.call('EXISTS', jk) == 1 then
    if resend and sentBefore(jk, o) then out[#out + 1] = 1 else out[#out + 1] = 0 end
  elseif room and room <= 0 then
    out[#out + 1] = -1
  else
    if room then room = room - 1 end
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
