--[[
  progress: records a running job's latest progress value, only while the caller still holds the job's lease.

  KEYS: 1 events  2 active  3 failed
  ARGV: 1 id  2 token  3 progress (JSON)  4 max progress bytes (0 = no limit)
  Returns: 1 recorded, 0 the lease is lost (or the job's key held another type: it was dead-lettered),
           -1 the value is over the limit: nothing was stored
]]
local K = { events = KEYS[1], active = KEYS[2], failed = KEYS[3] }
local BASE = string.sub(KEYS[1], 1, -#'events' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include events.lua

local id = ARGV[1]
local jk = jobKey(id)
local f = jobFields(id, jk, nowMs(), 'state', 'tok', 'task', 'att', 'wid')
if not f then
  flushEvents()
  return 0
end
if f[1] ~= 'active' or f[2] ~= ARGV[2] then return 0 end
local limit = tonumber(ARGV[4]) or 0
if limit > 0 and #ARGV[3] > limit then return -1 end
redis.call('HSET', jk, 'progress', ARGV[3])
-- the detail is written as JSON text so the progress value goes in as the worker encoded it
local detail = cjson.encode({ task = f[3], att = tonumber(f[4]), wid = f[5] })
if pcall(cjson.decode, ARGV[3]) then
  detail = (detail == '{}' and '{' or string.sub(detail, 1, -2) .. ',') .. '"prog":' .. ARGV[3] .. '}'
end
emit('progress', id, detail)
flushEvents()
return 1
