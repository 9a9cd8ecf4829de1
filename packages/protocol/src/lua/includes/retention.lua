--@include constants.lua
--@include job-key.lua
--@include chunked.lua
-- Retention: keeps the completed and failed sets (and the job records they name) within the queue's limits.
-- Limits live in the meta hash (written by Queue/Worker options); without them the defaults apply (newest
-- DEFAULT_KEEP_COMPLETED completed, DEFAULT_KEEP_FAILED failed, no age limit). Bounded work per call.
local function trimSet(setKey, keep, ageMs, now)
  if keep >= 0 then
    local excess = redis.call('ZCARD', setKey) - keep
    if excess > 0 then
      if excess > 1000 then excess = 1000 end
      local popped = redis.call('ZPOPMIN', setKey, excess)
      local keys = {}
      for i = 1, #popped, 2 do keys[#keys + 1] = jobKey(popped[i]) end
      pushAll('DEL', nil, keys)
    end
  end
  if ageMs > 0 then
    local old = redis.call('ZRANGEBYSCORE', setKey, '-inf', now - ageMs, 'LIMIT', 0, 1000)
    if #old > 0 then
      callChunked('ZREM', setKey, old)
      local keys = {}
      for i = 1, #old do keys[#keys + 1] = jobKey(old[i]) end
      callChunked('DEL', nil, keys)
    end
  end
end

-- The meta fields of the retention limits, for a script that reads them in an HMGET of its own (see applyRetention).
local RETENTION_FIELDS = { 'keepCompleted', 'completedAgeMs', 'keepFailed', 'failedAgeMs' }

-- `r`, when given, holds the four RETENTION_FIELDS values the caller already read from K.meta (in that order), so a
-- script that reads meta anyway spends no call on them.
local function applyRetention(now, completed, failed, r)
  r = r or redis.call('HMGET', K.meta, unpack(RETENTION_FIELDS))
  if completed then
    trimSet(K.completed, tonumber(r[1]) or DEFAULT_KEEP_COMPLETED, tonumber(r[2]) or DEFAULT_COMPLETED_AGE_MS, now)
  end
  if failed then
    trimSet(K.failed, tonumber(r[3]) or DEFAULT_KEEP_FAILED, tonumber(r[4]) or DEFAULT_FAILED_AGE_MS, now)
  end
end
