-- Retention: keeps the completed and failed sets (and the job records they name) within the queue's limits.
-- Limits live in the meta hash (written by Queue/Worker options); defaults: newest 1,000 completed, 10,000 failed,
-- no age limit. Bounded work per call.
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

local function applyRetention(now, completed, failed)
  local r = redis.call('HMGET', K.meta, 'keepCompleted', 'completedAgeMs', 'keepFailed', 'failedAgeMs')
  if completed then trimSet(K.completed, tonumber(r[1]) or 1000, tonumber(r[2]) or 0, now) end
  if failed then trimSet(K.failed, tonumber(r[3]) or 10000, tonumber(r[4]) or 0, now) end
end
