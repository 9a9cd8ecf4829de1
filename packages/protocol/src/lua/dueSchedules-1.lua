--[[
  dueSchedules: what one scheduler pass needs from the schedule index, in one round trip and on the Redis clock.

  KEYS: 1 next (ZSET: schedule name -> next fire time, epoch ms)
  ARGV: 1 limit (most due schedules returned)
  Returns: { nowMs, nextAtMs (earliest fire time still in the future; -1 = none), then name, tickMs (string)
             for each schedule whose fire time is <= nowMs, soonest first }

  A schedule is due only when the Redis clock has reached its fire time, so a scheduler whose own clock is ahead
  never fires early.
]]
--@include now-ms.lua

local now = nowMs()
local out = { now, -1 }
local due = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]), 'WITHSCORES')
for i = 1, #due, 2 do
  out[#out + 1] = due[i]
  out[#out + 1] = due[i + 1]
end
local later = redis.call('ZRANGE', KEYS[1], '(' .. now, '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
if later[2] then out[2] = tonumber(later[2]) end
return out
