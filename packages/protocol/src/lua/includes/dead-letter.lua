--@include append-error.lua
--@include events.lua
-- Ends a job in the dead letter (K.failed) with the given error (already JSON).
local function deadLetter(id, jk, errJson, now)
  appendError(jk, errJson)
  redis.call('HSET', jk, 'state', 'failed', 'finishedAt', now)
  redis.call('ZADD', K.failed, now, id)
  emit('failed', id)
end
