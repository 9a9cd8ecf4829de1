--[[
  take: a worker's one round trip. Applies its finished runs (acks), moves due scheduled jobs to pending, takes back
  expired leases, then claims up to N jobs with fresh leases and fencing tokens.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 active  6 completed  7 failed
        8 marker  9 meta  10 events
  ARGV: 1 base ("<prefix>:{<queue>}:")  2 leaseMs  3 claim count  4 ack count
        then per ack: id, token, op ("c" completed | "f" failed run), payload (result or error JSON),
        retry delay ms (op "f" only; -1 = do not retry)
  Returns: { nextWakeMs (-1 = nothing timed), ack outcomes (one char per ack: c completed, r retry scheduled,
             f dead-lettered, l lease lost: ignored), then id, token, attempt, data for each claimed job }

  Invariants: an ack applies only while the job is active under the same fencing token, so a worker whose lease
  was lost cannot complete, fail or retry the job. Every claim mints a new token from the queue's counter; leases
  are deadlines on the Redis clock. A claimed id whose record is missing or unreadable is dead-lettered, never
  returned twice.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], active = KEYS[5],
      completed = KEYS[6], failed = KEYS[7], marker = KEYS[8], meta = KEYS[9], events = KEYS[10] }
local BASE = ARGV[1]
--@include common.lua
--@include retention.lua

local now = nowMs()
local leaseMs = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local nAcks = tonumber(ARGV[4])
local ready = false

-- 1. acks
local outcomes = {}
local completedAny, failedAny = false, false
for i = 0, nAcks - 1 do
  local o = 5 + i * 5
  local id, token, op, payload, delay = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], tonumber(ARGV[o + 4])
  local jk = jobKey(id)
  local f = redis.call('HMGET', jk, 'state', 'tok', 'att', 'maxr', 'pri')
  if f[1] ~= 'active' or f[2] ~= token then
    outcomes[#outcomes + 1] = 'l'
  else
    redis.call('ZREM', K.active, id)
    if op == 'c' then
      redis.call('HSET', jk, 'state', 'completed', 'finishedAt', now, 'result', payload)
      redis.call('ZADD', K.completed, now, id)
      emit('completed', id)
      completedAny = true
      outcomes[#outcomes + 1] = 'c'
    else
      local att = tonumber(f[3]) or 1
      local maxr = tonumber(f[4]) or 0
      if delay >= 0 and att <= maxr then
        appendError(jk, payload)
        if delay > 0 then
          redis.call('HSET', jk, 'state', 'scheduled', 'runAt', now + delay)
          redis.call('ZADD', K.scheduled, now + delay, id)
          wakeAt(now + delay)
        else
          redis.call('HSET', jk, 'state', 'pending')
          redis.call('LPUSH', pendingKey(f[5]), id)
          ready = true
        end
        emit('retrying', id)
        outcomes[#outcomes + 1] = 'r'
      else
        deadLetter(id, jk, payload, now)
        failedAny = true
        outcomes[#outcomes + 1] = 'f'
      end
    end
  end
end
if completedAny or failedAny then applyRetention(now, completedAny, failedAny) end

-- 2. time-based moves
if promoteDue(now, 1000) > 0 then ready = true end
if reclaimExpired(now, 100) > 0 then ready = true end

-- 3. claim
local out = { 0, table.concat(outcomes) }
local claimed = 0
if want > 0 and redis.call('HGET', K.meta, 'paused') ~= '1' then
  local lists = { K.high, K.normal, K.low }
  for li = 1, 3 do
    while claimed < want do
      local ids = redis.call('RPOP', lists[li], want - claimed)
      if not ids then break end
      for i = 1, #ids do
        local id = ids[i]
        local jk = jobKey(id)
        local f = redis.call('HMGET', jk, 'state', 'data', 'att')
        if f[1] == 'pending' and f[2] then
          local token = redis.call('HINCRBY', K.meta, 'fence', 1)
          local att = (tonumber(f[3]) or 0) + 1
          redis.call('HSET', jk, 'state', 'active', 'att', att, 'tok', token, 'startedAt', now)
          redis.call('ZADD', K.active, now + leaseMs, id)
          out[#out + 1] = id
          out[#out + 1] = tostring(token)
          out[#out + 1] = att
          out[#out + 1] = f[2]
          claimed = claimed + 1
        elseif not f[1] then
          -- An id with no job record (written into Redis by something other than tq): keep it visible.
          deadLetter(id, jk, cjson.encode({ name = 'TqError', code = 'DECODE',
            message = 'undecodable job record: id "' .. id .. '" was in the pending list but has no job record' }), now)
        elseif f[1] == 'pending' then
          deadLetter(id, jk, cjson.encode({ name = 'TqError', code = 'DECODE',
            message = 'undecodable job record: job "' .. id .. '" has no data field' }), now)
        end
        -- any other state: a stale duplicate id in the list; the job is already elsewhere
      end
    end
  end
  if claimed == want and anyPending() then ready = true end
end
if ready then wakeWorkers() end
out[1] = nextWake(now)
return out
