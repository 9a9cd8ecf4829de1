--[[
  advanceSchedules: moves schedules from the tick a scheduler fired (or skipped) to their next fire time: a compare-and-set on
  each schedule's score, so that of all the schedulers that saw the same due tick exactly one advances it. One call
  advances every schedule a pass handled.

  KEYS: 1 defs (HASH: schedule name -> definition JSON)  2 next (ZSET: schedule name -> next fire time ms)
  ARGV: per schedule, 4 values: name, the due tick ms the caller saw, the definition the caller computed from,
        exactly as it read it ("" = it found none), the next fire time ms ("" = none: the schedule never fires again)
  Returns: one integer per schedule: 1 advanced; 0 not applied because another scheduler advanced it first or the
           definition changed (the caller's view is stale: it reads again on its next pass).

  A score left without a definition (the definition was removed) is dropped.
]]
local out = {}
for i = 1, #ARGV, 4 do
  local name, tick, seen, nextMs = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local def = redis.call('HGET', KEYS[1], name)
  local advanced = 0
  if not def then
    if seen == '' then redis.call('ZREM', KEYS[2], name) end
  elseif def == seen then
    local score = redis.call('ZSCORE', KEYS[2], name)
    if score and tonumber(score) == tonumber(tick) then
      if nextMs == '' then
        redis.call('ZREM', KEYS[2], name)
      else
        redis.call('ZADD', KEYS[2], nextMs, name)
      end
      advanced = 1
    end
  end
  out[#out + 1] = advanced
end
return out
