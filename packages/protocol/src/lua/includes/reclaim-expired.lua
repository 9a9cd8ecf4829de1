--@include job-key.lua
--@include job-fields.lua
--@include append-error.lua
--@include dead-letter.lua
--@include events.lua
--@include groups.lua
--@include wake-flags.lua
--@include chunked.lua
-- Takes back jobs whose lease deadline has passed: their worker died, stalled or lost its connection. A run that
-- lost its lease counts as a failed run: the job goes back to the front of its pending list (or group) while it has
-- retries left, and to the dead letter after that, so a job that kills every worker that runs it cannot loop
-- forever. Either way its group's slot is freed (WAKE.ready when that lets the group run again). Returns how many
-- went back to pending.
local function reclaimExpired(now, limit)
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, limit)
  if #expired == 0 then return 0 end
  local requeued = 0
  for i = 1, #expired do
    local id = expired[i]
    local jk = jobKey(id)
    local f = jobFields(id, jk, now, 'state', 'att', 'maxr', 'pri', 'wid', 'task', 'grp')
    if f and f[1] == 'active' then
      -- the claim is no longer that worker's (same slot: the key shares the queue's hash tag)
      if f[5] then redis.call('SREM', BASE .. 'claims:' .. f[5], id) end
      local att = tonumber(f[2]) or 1
      local maxr = tonumber(f[3]) or 0
      local err = cjson.encode({
        name = 'TqError', code = 'LEASE_LOST', attempt = att,
        message = 'lease expired on attempt ' .. att .. ': the worker running the job died, stalled or lost its connection',
      })
      redis.call('HINCRBY', jk, 'stalls', 1)
      if att <= maxr then
        appendError(jk, err)
        redis.call('HSET', jk, 'state', 'pending', 'runAt', now)
        pushPending(id, f[4], f[7], true)
        emit('stalled', id, failureDetail(f[6], att, f[5], err))
        requeued = requeued + 1
      else
        deadLetter(id, jk, err, now, f[6], att, f[5])
      end
      -- a freed slot lets the group's other jobs run
      if slotFreed(f[7]) then WAKE.ready = true end
    end
  end
  callChunked('ZREM', K.active, expired)
  return requeued
end
