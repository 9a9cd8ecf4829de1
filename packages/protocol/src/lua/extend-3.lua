--[[
  extend: renews the leases of a worker's running jobs in one call. A lease whose deadline has passed is lost even
  if no one has taken the job back yet: a worker that stalled past its lease must not revive it.

  KEYS: 1 active  2 failed  3 events
  ARGV: 1 leaseMs, then per job: id, token
  Returns: { lost, cancelled }: the ids whose runs must stop. `cancelled`: the job was cancelled while this run
           held it (state failed under the same token, error code CANCELLED: the cancel script ended it). `lost`:
           every other run whose lease is gone (run out, or the job is no longer active under that token). A job
           whose key holds another type is dead-lettered (and reported lost).
]]
local K = { active = KEYS[1], failed = KEYS[2], events = KEYS[3] }
local BASE = string.sub(KEYS[1], 1, -#'active' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include events.lua

local now = nowMs()
local deadline = now + tonumber(ARGV[1])
local lost = {}
local cancelled = {}
for i = 2, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = jobKey(id)
  local f = jobFields(id, jk, now, 'state', 'tok')
  local current = tonumber(redis.call('ZSCORE', K.active, id))
  if f and f[1] == 'active' and f[2] == token and current and current > now then
    redis.call('ZADD', K.active, 'XX', deadline, id)
  elseif f and f[1] == 'failed' and f[2] == token
      and string.find(redis.call('HGET', jk, 'error') or '', '"code":"CANCELLED"', 1, true) then
    -- read only on this rare path: the error can be large
    cancelled[#cancelled + 1] = id
  else
    lost[#lost + 1] = id
  end
end
flushEvents()
return { lost, cancelled }
