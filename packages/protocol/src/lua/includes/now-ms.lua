-- The Redis server clock in epoch milliseconds. Leases, delays and schedule ticks all follow it, so a process whose
-- own clock is off cannot make anything fire or expire early.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
