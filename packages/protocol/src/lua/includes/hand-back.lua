--@include pending-key.lua
-- Hands an active job back to the front of its pending list without counting the run (shutdown, a lost claim
-- reply): it leaves `active`, its attempt is taken back, and a worker is woken by the caller.
local function handBack(id, jk, pri)
  redis.call('ZREM', K.active, id)
  redis.call('HINCRBY', jk, 'att', -1)
  redis.call('HSET', jk, 'state', 'pending')
  redis.call('RPUSH', pendingKey(pri), id)
end
