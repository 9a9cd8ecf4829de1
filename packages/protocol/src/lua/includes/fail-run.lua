--@include append-error.lua
--@include dead-letter.lua
--@include events.lua
--@include groups.lua
--@include wake-flags.lua
-- Records a failed run of an active job (the caller has removed it from `active`): the job is retried after
-- `delay` ms while it has retries left (attempts <= maxRetries) and `delay` >= 0, else it is dead-lettered.
-- `retryEvent` names the event of a retry (default `retrying`); `task` and `wid` (the run's worker) go into the event.
-- `grp` is the job's group: the run's slot in it is freed.
-- Returns 'r' (retry) or 'f' (failed).
local function failRun(id, jk, att, maxr, pri, errJson, delay, now, retryEvent, task, wid, grp)
  local outcome = 'f'
  if delay >= 0 and att <= maxr then
    appendError(jk, errJson)
    if delay > 0 then
      redis.call('HSET', jk, 'state', 'scheduled', 'runAt', now + delay)
      redis.call('ZADD', K.scheduled, now + delay, id)
      redis.call('ZADD', K.marker, 'LT', now + delay, 'd')
    else
      -- runAt: when it became runnable again (JobInfo.waitedMs counts from it)
      redis.call('HSET', jk, 'state', 'pending', 'runAt', now)
      if pushPending(id, pri, grp, false) then WAKE.ready = true end
    end
    emit(retryEvent or 'retrying', id, failureDetail(task, att, wid, errJson))
    outcome = 'r'
  else
    deadLetter(id, jk, errJson, now, task, att, wid)
    WAKE.failed = true
  end
  if slotFreed(grp) then WAKE.ready = true end
  return outcome
end
