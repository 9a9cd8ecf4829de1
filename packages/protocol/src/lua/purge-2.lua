--[[
  purge: removes up to `limit` finished jobs of one state (completed or failed), oldest first, with their records.
  Bounded per call: a caller that wants the whole set emptied calls it again until `remaining` is 0.

  KEYS: 1 events  2 the finished set (completed or failed)
  ARGV: 1 limit (how many at most, 1-1000)  2 the state the set holds ("completed" | "failed")
  Returns: { removed, remaining }: how many ids left the set, and how many it still holds.

  A record is deleted only when it is in the set's state (or not a tq hash): an id whose job has moved on (a
  replay that is running again) leaves the set, its record stays. Other users of the queue see one `removed` event.
]]
local K = { events = KEYS[1], set = KEYS[2] }
local BASE = string.sub(KEYS[1], 1, -#'events' - 1)
--@include job-key.lua
--@include try-job-fields.lua
--@include chunked.lua
--@include events.lua

local limit = tonumber(ARGV[1])
local ids = redis.call('ZRANGE', K.set, 0, limit - 1)
local dead = {}
for i = 1, #ids do
  local id = ids[i]
  local jk = jobKey(id)
  local f = tryJobFields(jk, 'state')
  if not f or not f[1] or f[1] == ARGV[2] then
    dead[#dead + 1] = jk
    emit('removed', id)
  end
end
pushAll('ZREM', K.set, ids)
pushAll('DEL', nil, dead)
flushEvents()
return { #ids, redis.call('ZCARD', K.set) }
