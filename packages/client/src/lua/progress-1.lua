--[[
  progress: records a running job's latest progress value, only while the caller still holds the job's lease.

  KEYS: 1 events
  ARGV: 1 base  2 id  3 token  4 progress (JSON)
  Returns: 1 recorded, 0 the lease is lost
]]
local jk = ARGV[1] .. 'job:' .. ARGV[2]
local f = redis.call('HMGET', jk, 'state', 'tok')
if f[1] ~= 'active' or f[2] ~= ARGV[3] then return 0 end
redis.call('HSET', jk, 'progress', ARGV[4])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', 2000, '*', 'e', 'progress', 'id', ARGV[2])
return 1
