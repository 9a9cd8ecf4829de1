--@include dead-letter.lua
--@include wake-flags.lua
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
