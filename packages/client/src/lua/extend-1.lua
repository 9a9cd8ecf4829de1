--[[
  extend: renews the leases of a worker's running jobs in one call. A lease whose deadline has passed is lost even
  if no one has taken the job back yet: a worker that stalled past its lease must not revive it.

  KEYS: 1 active
  ARGV: 1 base  2 leaseMs, then per job: id, token
  Returns: the ids whose lease is lost (run out, or the job is no longer active under that token); their runs must
           stop.
]]
local BASE = ARGV[1]
local now = redis.call('TIME')
now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local deadline = now + tonumber(ARGV[2])
local lost = {}
for i = 3, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local f = redis.call('HMGET', BASE .. 'job:' .. id, 'state', 'tok')
  local current = tonumber(redis.call('ZSCORE', KEYS[1], id))
  if f[1] == 'active' and f[2] == token and current and current > now then
    redis.call('ZADD', KEYS[1], 'XX', deadline, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
