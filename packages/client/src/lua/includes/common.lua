-- Shared helpers. Every script that includes this sets K (its keys by name) and BASE (the queue's key prefix,
-- "<prefix>:{<queue>}:") before calling them.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function jobKey(id)
  return BASE .. 'job:' .. id
end

local function pendingKey(pri)
  if pri == 'high' then return K.high elseif pri == 'low' then return K.low end
  return K.normal
end

local MAX_EVENTS = 10000
local function emit(event, id)
  redis.call('XADD', K.events, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', event, 'id', id)
end

-- Records a run's error as the job's last error and appends it to the list of every run's errors.
local function appendError(jk, errJson)
  local errs = redis.call('HGET', jk, 'errors')
  if errs and #errs > 2 and string.sub(errs, 1, 1) == '[' and string.sub(errs, -1) == ']' then
    errs = string.sub(errs, 1, -2) .. ',' .. errJson .. ']'
  else
    errs = '[' .. errJson .. ']'
  end
  redis.call('HSET', jk, 'error', errJson, 'errors', errs)
end

-- Ends a job in the dead letter with the given error (already JSON).
local function deadLetter(id, jk, errJson, now)
  appendError(jk, errJson)
  redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now)
  redis.call('ZADD', K.failed, now, id)
  emit('failed', id)
end

-- Moves due scheduled jobs (run-at <= now) to their pending lists, at most `limit` per call, in run-at order.
-- Returns how many were moved.
local function promoteDue(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.scheduled, '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  for i = 1, #due do
    local id = due[i]
    local jk = jobKey(id)
    local f = redis.call('HMGET', jk, 'state', 'pri')
    if f[1] == 'scheduled' then
      redis.call('HSET', jk, 'state', 'pending')
      redis.call('LPUSH', pendingKey(f[2]), id)
    end
  end
  redis.call('ZREM', K.scheduled, unpack(due))
  return #due
end

-- Takes back jobs whose lease deadline has passed: their worker died, stalled or lost its connection. A run that
-- lost its lease counts as a failed run: the job goes back to the front of its pending list while it has retries
-- left, and to the dead letter after that, so a job that kills every worker that runs it cannot loop forever.
-- Returns how many went back to pending.
local function reclaimExpired(now, limit)
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, limit)
  if #expired == 0 then return 0 end
  local requeued = 0
  for i = 1, #expired do
    local id = expired[i]
    local jk = jobKey(id)
    local f = redis.call('HMGET', jk, 'state', 'att', 'maxr', 'pri')
    if f[1] == 'active' then
      local att = tonumber(f[2]) or 1
      local maxr = tonumber(f[3]) or 0
      local err = cjson.encode({
        name = 'TqError', code = 'LEASE_LOST', attempt = att,
        message = 'lease expired on attempt ' .. att .. ': the worker running the job died, stalled or lost its connection',
      })
      redis.call('HINCRBY', jk, 'stalls', 1)
      if att <= maxr then
        appendError(jk, err)
        redis.call('HSET', jk, 'state', 'pending')
        redis.call('RPUSH', pendingKey(f[4]), id)
        emit('stalled', id)
        requeued = requeued + 1
      else
        deadLetter(id, jk, err, now)
      end
    end
  end
  redis.call('ZREM', K.active, unpack(expired))
  return requeued
end

-- Milliseconds until the next scheduled job is due or the next lease expires, whichever is first; -1 if neither.
local function nextWake(now)
  local best = -1
  local s = redis.call('ZRANGE', K.scheduled, 0, 0, 'WITHSCORES')
  if s[2] then best = tonumber(s[2]) - now end
  local a = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
  if a[2] then
    local d = tonumber(a[2]) - now
    if best < 0 or d < best then best = d end
  end
  if best < 0 and (s[2] or a[2]) then best = 0 end
  return best
end

local function anyPending()
  return redis.call('LLEN', K.high) + redis.call('LLEN', K.normal) + redis.call('LLEN', K.low) > 0
end

-- Wakes one idle worker (BZPOPMIN on the marker) because ready work exists.
local function wakeWorkers()
  redis.call('ZADD', K.marker, 0, '0')
end

-- Tells idle workers that a job is due at `at`, if that is earlier than what they were told before.
local function wakeAt(at)
  redis.call('ZADD', K.marker, 'LT', at, 'd')
end
