--[[
  resume: lets workers claim again after a pause, and wakes one idle worker.

  KEYS: 1 meta  2 marker
  ARGV: (none)
  Returns: 1
]]
redis.call('HDEL', KEYS[1], 'paused')
redis.call('ZADD', KEYS[2], 0, '0')
return 1
