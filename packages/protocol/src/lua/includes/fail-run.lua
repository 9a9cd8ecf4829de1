--@include append-error.lua
--@include dead-letter.lua
--@include events.lua
--@include pending-key.lua
--@include wake-flags.lua
-- Records a failed run of an active job (the caller has removed it from `active`): the job is retried after
-- `delay` ms while it has retries left (attempts <= maxRetries) and `delay` >= 0, else it is dead-lettered.
-- `retryEvent` names the event of a retry (default `retrying`); `task` and `wid` (the run's worker) go into the event.
-- Returns 'r' (retry) or 'f' (failed).
local function failRun(id, jk, att, maxr, pri, errJson, delay, now, retryEvent, task, wid)
  if delay >= 0 and att <= maxr then
    appendError(jk, errJson)
    if delay > 0 then
      redis.call('HSET', jk, 'state', 'scheduled', 'runAt', now + delay)
      redis.call('ZADD', K.scheduled, now + delay, id)
      redis.call('ZADD', K.marker, 'LT', now + delay, 'd')
    else
      -- runAt: when it became runnable again (JobInfo.waitedMs counts from it)
      redis.call('HSET', jk, 'state', 'pending', 'runAt', now)
      redis.call('LPUSH', pendingKey(pri), id)
      WAKE.ready = true
    end
    emit(retryEvent or 'retrying', id, failureDetail(task, att, wid, errJson))
    return 'r'
  end
  deadLetter(id, jk, errJson, now, task, att, wid)
  WAKE.failed = true
  return 'f'
end
