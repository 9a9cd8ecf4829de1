--[[
  release: hands unfinished runs back when a worker shuts down. The run does not count as an attempt, and the job
  goes to the front of its pending list (or group), and its group slot is freed.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 active  5 marker  6 failed  7 events  8 meta
        9 groups  10 gactive  11 gwait (the group keys, see includes/groups.lua)
  ARGV: per job: id, token
  Returns: how many jobs were released (a job whose lease was already lost is left alone; one whose key holds
           another type is dead-lettered).
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], active = KEYS[4], marker = KEYS[5], failed = KEYS[6],
            events = KEYS[7], meta = KEYS[8], groups = KEYS[9], gactive = KEYS[10], gwait = KEYS[11] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include hand-back.lua
--@include wake-workers.lua
--@include events.lua

local now = nowMs()
local released = 0
for i = 1, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = jobKey(id)
  local f = jobFields(id, jk, now, 'state', 'tok', 'pri', 'grp')
  if f and f[1] == 'active' and f[2] == token then
    handBack(id, jk, f[3], f[4])
    released = released + 1
  end
end
if released > 0 then wakeWorkers() end
flushEvents()
return released
