--[[
  removeSchedule: deletes a schedule's definition and its next fire time together.

  KEYS: 1 defs (HASH: schedule name -> definition JSON)  2 next (ZSET: schedule name -> next fire time ms)
  ARGV: 1 name
  Returns: 1 removed, 0 no such schedule.
]]
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
