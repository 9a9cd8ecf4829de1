--[[
  heartbeat: registers a worker under its queue, or renews its entry. The worker sends every field each time, so an
  entry that expired while Redis was out of reach comes back whole on the next heartbeat.

  KEYS: 1 workers (ZSET)  2 worker:<id> (HASH)
  ARGV: 1 worker id, 2 ttlMs, 3 startedAt (epoch ms on the Redis clock; "" = now, for the first heartbeat),
        4 loopAgeMs (how long ago the worker's consume loop last ran, by its own clock), then field, value, ...
  Returns: the Redis clock now, in epoch ms (the first heartbeat's reply is the worker's startedAt)
  Keeps: every time in the hash is on the Redis clock (loopAt = now - loopAgeMs), so readers compare them with the
         Redis clock and not with the clock of the machine that wrote them; the hash and its ZSET score expire together.
]]
--@include now-ms.lua

local now = nowMs()
local ttl = tonumber(ARGV[2])
local startedAt = ARGV[3]
if startedAt == '' then startedAt = now end
local fields = { 'heartbeatAt', now, 'startedAt', startedAt, 'loopAt', now - tonumber(ARGV[4]) }
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[2], unpack(fields))
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
return now
