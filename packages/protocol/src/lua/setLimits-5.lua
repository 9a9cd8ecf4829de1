--[[
  setLimits: sets or clears a queue's flow-control settings in its meta hash, and wakes one idle worker so that a
  raised or removed limit is used at once (a worker held back by the rate limit looks again within its window).

  KEYS: 1 meta  2 marker  3 groups  4 gactive  5 gwait (the group keys, see includes/groups.lua)
  ARGV: field, value, ... (fields rlMax, rlMs, conc, gconc, grlMax, grlMs; an empty value removes the field)
  Returns: 1

  A change of the group settings places again, at once, the groups waiting for their rate window and up to about
  1,000 groups with pending or active jobs (one HSCAN page of K.gactive): a group let in by a raised limit joins the
  ring, one held back by a lowered limit leaves it. Groups beyond that page follow when one of their runs ends (a
  raise) or when their turn comes (a lowered limit is checked before every claim), so the call stays bounded.
]]
local K = { meta = KEYS[1], marker = KEYS[2], groups = KEYS[3], gactive = KEYS[4], gwait = KEYS[5] }
local BASE = string.sub(KEYS[1], 1, -#'meta' - 1)
--@include groups.lua
--@include wake-workers.lua

local groupsChanged = false
for i = 1, #ARGV, 2 do
  if string.sub(ARGV[i], 1, 1) == 'g' then groupsChanged = true end
  if ARGV[i + 1] == '' then
    redis.call('HDEL', K.meta, ARGV[i])
  else
    redis.call('HSET', K.meta, ARGV[i], ARGV[i + 1])
  end
end
if groupsChanged then
  local waiting = redis.call('ZRANGE', K.gwait, 0, 999)
  for i = 1, #waiting do
    redis.call('ZREM', K.gwait, waiting[i])
    placeGroup(waiting[i])
  end
  local page = redis.call('HSCAN', K.gactive, '0', 'COUNT', 1000)[2]
  for i = 1, #page, 2 do placeGroup(page[i]) end
end
wakeWorkers()
return 1
