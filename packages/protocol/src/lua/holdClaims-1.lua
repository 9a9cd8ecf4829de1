--[[
  holdClaims: stops every worker of the queue from claiming for a while (a handler's `ctx.rateLimit(ms)`: the
  downstream it calls is throttling). Holds only ever grow: a shorter hold asked for during a longer one changes
  nothing.

  KEYS: 1 meta
  ARGV: 1 ms (from now, on the Redis clock)
  Returns: the hold's end, Redis-clock epoch ms
]]
--@include now-ms.lua
local untilMs = nowMs() + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'holdUntil'))
if current and current >= untilMs then return current end
redis.call('HSET', KEYS[1], 'holdUntil', untilMs)
return untilMs
