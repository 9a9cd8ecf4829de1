--@include groups.lua
-- Hands an active job back to the front of its pending list (or its group) without counting the run (shutdown, a
-- lost claim reply, a throttled handler): it leaves `active`, its attempt is taken back, its group slot is freed, and
-- a worker is woken by the caller.
local function handBack(id, jk, pri, grp)
  redis.call('ZREM', K.active, id)
  redis.call('HINCRBY', jk, 'att', -1)
  redis.call('HSET', jk, 'state', 'pending')
  pushPending(id, pri, grp, true)
  slotFreed(grp)
end
