--[[
  advance: moves a schedule from the tick a scheduler fired (or skipped) to its next fire time: a compare-and-set on
  the schedule's score, so that of all the schedulers that saw the same due tick exactly one advances it.

  KEYS: 1 defs (HASH: schedule name -> definition JSON)  2 next (ZSET: schedule name -> next fire time ms)
  ARGV: 1 name  2 the due tick ms the caller saw  3 the definition the caller computed from, exactly as it read it
        ("" = it found none)  4 the next fire time ms ("" = none: the schedule never fires again)
  Returns: 1 advanced; 0 not applied because another scheduler advanced it first or the definition changed (the
           caller's view is stale: it reads again on its next pass).

  A score left without a definition (the definition was removed) is dropped.
]]
local name = ARGV[1]
local def = redis.call('HGET', KEYS[1], name)
if not def then
  if ARGV[3] == '' then redis.call('ZREM', KEYS[2], name) end
  return 0
end
if def ~= ARGV[3] then return 0 end
local score = redis.call('ZSCORE', KEYS[2], name)
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], name)
else
  redis.call('ZADD', KEYS[2], ARGV[4], name)
end
return 1
