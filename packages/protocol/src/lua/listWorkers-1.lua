--[[
  listWorkers: the live entries of a queue's worker registry, one page at a time, after pruning expired ones.

  KEYS: 1 workers (ZSET, scored by the ms after which an entry counts as gone)
  ARGV: 1 offset, 2 limit
  Returns: { now (Redis clock, epoch ms), id, id, ... } the ids whose entry has not expired, by expiry, from offset
  Keeps: bounded work per call: at most PRUNE_WORKERS_LIMIT expired entries are removed, and at most `limit` ids are
         read. A pruned entry's hash has expired by its own PEXPIRE already.
]]
--@include constants.lua
--@include now-ms.lua

local now = nowMs()
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, PRUNE_WORKERS_LIMIT)
if #expired > 0 then redis.call('ZREM', KEYS[1], unpack(expired)) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'LIMIT', tonumber(ARGV[1]), tonumber(ARGV[2]))
local out = { now }
for i = 1, #ids do out[#out + 1] = ids[i] end
return out
