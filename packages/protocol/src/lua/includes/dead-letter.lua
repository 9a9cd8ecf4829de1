--@include append-error.lua
--@include events.lua
-- Ends a job in the dead letter (K.failed) with the given error (already JSON). `task`, `att` and `wid` (the run's
-- task, attempt and worker, when the caller knows them) go into the `failed` event.
local function deadLetter(id, jk, errJson, now, task, att, wid)
  appendError(jk, errJson)
  redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now)
  redis.call('ZADD', K.failed, now, id)
  emit('failed', id, failureDetail(task, att, wid, errJson))
end
