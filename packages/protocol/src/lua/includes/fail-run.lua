--@include append-error.lua
--@include dead-letter.lua
--@include events.lua
--@include pending-key.lua
--@include wake-flags.lua
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
