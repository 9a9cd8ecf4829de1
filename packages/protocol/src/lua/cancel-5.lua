--[[
  cancel: removes a job that has not started: scheduled or pending. Active and finished jobs are left alone.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 events
  ARGV: 1 id
  Returns: 1 removed, 0 no such job, or the job's state as a string when it cannot be cancelled.

  A job key that holds another type (not written by tq) is removed, with its id wherever a waiting job could be,
  instead of failing this call and every later one for that id.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], events = KEYS[5] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include job-key.lua
--@include try-job-fields.lua
--@include pending-key.lua
--@include events.lua

local id = ARGV[1]
local jk = jobKey(id)
local f = tryJobFields(jk, 'state', 'pri', 'task')
if not f then
  redis.call('ZREM', K.scheduled, id)
  for _, list in ipairs({ K.high, K.normal, K.low }) do redis.call('LREM', list, 0, id) end
  redis.call('DEL', jk)
  emit('cancelled', id)
  flushEvents()
  return 1
end
if not f[1] then return 0 end
if f[1] == 'scheduled' then
  redis.call('ZREM', K.scheduled, id)
elseif f[1] == 'pending' then
  redis.call('LREM', pendingKey(f[2]), 0, id)
else
  return f[1]
end
redis.call('DEL', jk)
emit('cancelled', id, { task = f[3] })
flushEvents()
return 1
