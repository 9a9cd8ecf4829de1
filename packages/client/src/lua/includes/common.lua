-- Shared helpers. Every script that includes this sets K (its keys by name) and BASE (the queue's key prefix,
-- "<prefix>:{<queue>}:") before calling them. BASE is cut from one of the script's KEYS, never passed in ARGV, so
-- every key a script builds from it (a job's hash) is in the hash slot of the keys it declared.
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

-- Events are collected while a script runs and written at its end by flushEvents(): one stream entry per kind
-- of event, its `id` field the space-separated ids (job ids never contain whitespace).
local MAX_EVENTS = 2000
local EVENTS = {}
local EVENT_ORDER = {}
local function emit(event, id)
  local ids = EVENTS[event]
  if not ids then
    ids = {}
    EVENTS[event] = ids
    EVENT_ORDER[#EVENT_ORDER + 1] = event
  end
  ids[#ids + 1] = id
end

local function flushEvents()
  for _, event in ipairs(EVENT_ORDER) do
    redis.call('XADD', K.events, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', event, 'id', table.concat(EVENTS[event], ' '))
  end
end

-- Runs a variadic command (LPUSH, ZREM, DEL, ...) over a list of arguments in chunks that Lua's unpack can take.
local function callChunked(command, key, list)
  local n = #list
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    if key then
      redis.call(command, key, unpack(list, i, j))
    else
      redis.call(command, unpack(list, i, j))
    end
    i = j + 1
  end
end

local function pushAll(command, key, list)
  if #list > 0 then callChunked(command, key, list) end
end

-- How many entries a job's `errors` history keeps (the newest); `errn` counts every failed run. Without a cap a job
-- that fails many runs, or is replayed many times, grows without bound and each failure copies the whole string.
local MAX_ERRORS_KEPT = 10

-- Records a run's error as the job's last error, appends it to the job's recent errors (keeping the newest
-- MAX_ERRORS_KEPT) and counts it in `errn`.
local function appendError(jk, errJson)
  local h = redis.call('HMGET', jk, 'errors', 'errn')
  local errs, errn = h[1], tonumber(h[2])
  local whole = errs and #errs > 2 and string.sub(errs, 1, 1) == '[' and string.sub(errs, -1) == ']'
  if whole and errn and errn < MAX_ERRORS_KEPT then
    -- the common case: fewer entries than the cap, so appending to the string is enough (no JSON decoding)
    errs = string.sub(errs, 1, -2) .. ',' .. errJson .. ']'
    errn = errn + 1
  elseif whole then
    -- at the cap (or a record from before `errn` existed): decode, keep the newest entries, append
    local ok, list = pcall(cjson.decode, errs)
    if ok and type(list) == 'table' then
      local parts = {}
      for i = math.max(1, #list - MAX_ERRORS_KEPT + 2), #list do parts[#parts + 1] = cjson.encode(list[i]) end
      parts[#parts + 1] = errJson
      errs = '[' .. table.concat(parts, ',') .. ']'
      errn = math.max(errn or 0, #list) + 1
    else
      errs = '[' .. errJson .. ']'
      errn = (errn or 0) + 1
    end
  else
    errs = '[' .. errJson .. ']'
    errn = (errn or 0) + 1
  end
  redis.call('HSET', jk, 'error', errJson, 'errors', errs, 'errn', errn)
end

-- Ends a job in the dead letter with the given error (already JSON).
local function deadLetter(id, jk, errJson, now)
  appendError(jk, errJson)
  redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now)
  redis.call('ZADD', K.failed, now, id)
  emit('failed', id)
end

-- Set by the functions below when a job became pending, so the script wakes an idle worker once at its end.
local WAKE = { ready = false, failed = false }

-- Records a failed run of an active job (the caller has removed it from `active`): the job is retried after
-- `delay` ms while it has retries left (attempts <= maxRetries) and `delay` >= 0, else it is dead-lettered.
-- Returns 'r' (retry) or 'f' (failed).
local function failRun(id, jk, att, maxr, pri, errJson, delay, now, retryEvent)
  if delay >= 0 and att <= maxr then
    appendError(jk, errJson)
    if delay > 0 then
      redis.call('HSET', jk, 'state', 'scheduled', 'runAt', now + delay)
      redis.call('ZADD', K.scheduled, now + delay, id)
      redis.call('ZADD', K.marker, 'LT', now + delay, 'd')
    else
      redis.call('HSET', jk, 'state', 'pending')
      redis.call('LPUSH', pendingKey(pri), id)
      WAKE.ready = true
    end
    emit(retryEvent or 'retrying', id)
    return 'r'
  end
  deadLetter(id, jk, errJson, now)
  WAKE.failed = true
  return 'f'
end

-- HMGET of a job's fields. A job key holding another type (written by something other than tq) would make every
-- later HMGET of it fail and stop the queue: it is replaced by a failed record that says so, and nil is returned.
local function jobFields(id, jk, now, ...)
  local f = redis.pcall('HMGET', jk, ...)
  if not f.err then return f end
  local kind = redis.call('TYPE', jk).ok
  redis.call('DEL', jk)
  -- an active job's stale lease entry goes too, so it is not counted as running
  if K.active then redis.call('ZREM', K.active, id) end
  deadLetter(id, jk, cjson.encode({ name = 'TqError', code = 'DECODE',
    message = 'undecodable job record: the key of job "' .. id .. '" held a ' .. kind .. ', not a hash; it was removed' }), now)
  WAKE.failed = true
  return nil
end

-- Hands an active job back to the front of its pending list without counting the run (shutdown, a lost claim
-- reply): it leaves `active`, its attempt is taken back, and a worker is woken by the caller.
local function handBack(id, jk, pri)
  redis.call('ZREM', K.active, id)
  redis.call('HINCRBY', jk, 'att', -1)
  redis.call('HSET', jk, 'state', 'pending')
  redis.call('RPUSH', pendingKey(pri), id)
end

-- Moves due scheduled jobs (run-at <= now) to their pending lists, at most `limit` per call, in run-at order.
-- Returns how many were moved.
local function promoteDue(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.scheduled, '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  local ready = { high = {}, normal = {}, low = {} }
  for i = 1, #due do
    local id = due[i]
    local jk = jobKey(id)
    local f = jobFields(id, jk, now, 'state', 'pri')
    if f and f[1] == 'scheduled' then
      redis.call('HSET', jk, 'state', 'pending')
      local list = ready[f[2]] or ready.normal
      list[#list + 1] = id
    end
  end
  for _, pri in ipairs({ 'high', 'normal', 'low' }) do pushAll('LPUSH', pendingKey(pri), ready[pri]) end
  callChunked('ZREM', K.scheduled, due)
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
    local f = jobFields(id, jk, now, 'state', 'att', 'maxr', 'pri', 'wid')
    if f and f[1] == 'active' then
      -- the claim is no longer that worker's (same slot: the key shares the queue's hash tag)
      if f[5] then redis.call('SREM', BASE .. 'claims:' .. f[5], id) end
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
  callChunked('ZREM', K.active, expired)
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
  -- an empty list does not exist in Redis, so one EXISTS call answers for all three
  return redis.call('EXISTS', K.high, K.normal, K.low) > 0
end

-- Wakes one idle worker (BZPOPMIN on the marker) because ready work exists.
local function wakeWorkers()
  redis.call('ZADD', K.marker, 0, '0')
end

-- Tells idle workers that a job is due at `at`, if that is earlier than what they were told before.
local function wakeAt(at)
  redis.call('ZADD', K.marker, 'LT', at, 'd')
end
