--[[
  upsertSchedule: writes a schedule's definition and its next fire time together.

  KEYS: 1 defs (HASH: schedule name -> definition JSON)  2 next (ZSET: schedule name -> next fire time ms)
  ARGV: 1 name  2 the definition the caller read ("" = none)  3 the new definition  4 next fire time ms
        5 "keep" (the timing is unchanged: keep the current fire time, set ARGV[4] only when there is none) or
          "reset" (the timing changed: set ARGV[4])
  Returns: 1 written; 0 the definition changed since the caller read it (it reads again and retries).
]]
local name = ARGV[1]
local current = redis.call('HGET', KEYS[1], name)
if (current or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], name, ARGV[3])
if ARGV[5] == 'keep' then
  redis.call('ZADD', KEYS[2], 'NX', ARGV[4], name)
else
  redis.call('ZADD', KEYS[2], ARGV[4], name)
end
return 1
