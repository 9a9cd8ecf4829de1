-- Whether any job is pending: an empty list or ZSET does not exist in Redis, so one EXISTS call answers for the three
-- lists and, when the script declares it, the ring of groups that can run a job now (K.groups).
local function anyPending()
  if K.groups then return redis.call('EXISTS', K.high, K.normal, K.low, K.groups) > 0 end
  return redis.call('EXISTS', K.high, K.normal, K.low) > 0
end
