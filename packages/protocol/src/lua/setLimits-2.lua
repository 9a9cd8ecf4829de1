--[[
  setLimits: sets or clears a queue's flow-control settings in its meta hash, and wakes one idle worker so that a
  raised or removed limit is used at once (a worker held back by the rate limit looks again within its window).

  KEYS: 1 meta  2 marker
  ARGV: field, value, ... (fields rlMax, rlMs, conc; an empty value removes the field)
  Returns: 1
]]
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
redis.call('ZADD', KEYS[2], 0, '0')
return 1
