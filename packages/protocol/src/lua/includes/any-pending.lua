-- Whether any job is pending: an empty list does not exist in Redis, so one EXISTS call answers for all three.
local function anyPending()
  return redis.call('EXISTS', K.high, K.normal, K.low) > 0
end
