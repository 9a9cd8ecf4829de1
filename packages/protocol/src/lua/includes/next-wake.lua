--@include constants.lua
-- Milliseconds until the next scheduled job is due or the next lease expires, whichever is first; NEXT_WAKE_NONE
-- if neither.
local function nextWake(now)
  local best = NEXT_WAKE_NONE
  local s = redis.call('ZRANGE', K.scheduled, 0, 0, 'WITHSCORES')
  if s[2] then best = tonumber(s[2]) - now end
  local a = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
  if a[2] then
    local d = tonumber(a[2]) - now
    if best < 0 or d < best then best = d end
  end
  if best < 0 and (s[2] or a[2]) then best = 0 end
  return best
end
