--[[
  recover: hands back the jobs a worker claimed but does not know it holds, because the reply of its claim was lost
  (the connection dropped, Redis restarted, or its process died in that instant). Without this they would wait for
  their lease to expire. The run does not count as an attempt; the job goes to the front of its pending list.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 active  5 marker  6 failed  7 events
        8 claims:<workerId> (the ids the worker claimed)  9 meta
        10 groups  11 gactive  12 gwait (the group keys, see includes/groups.lua)
  ARGV: 1 worker id, then per run the worker holds: id, token
  Returns: how many jobs were handed back.

  Invariants: only a job that is active, claimed by this worker (`wid`) and under a token the worker does not hold
  is touched, so a job another worker claimed since, or a run the worker is still running or acknowledging, is
  left alone. The caller must have no claim call of its own in flight, so every claim it will learn of is known.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], active = KEYS[4], marker = KEYS[5], failed = KEYS[6],
            events = KEYS[7], claims = KEYS[8], meta = KEYS[9], groups = KEYS[10], gactive = KEYS[11],
            gwait = KEYS[12] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include hand-back.lua
--@include chunked.lua
--@include wake-workers.lua
--@include events.lua

local now = nowMs()
local workerId = ARGV[1]
local held = {}
for i = 2, #ARGV, 2 do held[ARGV[i]] = ARGV[i + 1] end
local ids = redis.call('SMEMBERS', K.claims)
local gone = {}
local released = 0
for i = 1, #ids do
  local id = ids[i]
  local jk = jobKey(id)
  local f = jobFields(id, jk, now, 'state', 'tok', 'wid', 'pri', 'grp')
  local mine = f and f[1] == 'active' and f[3] == workerId
  if mine and held[id] == f[2] then
    -- still running (or being acknowledged) here: keep it
  else
    if mine then
      handBack(id, jk, f[4], f[5])
      released = released + 1
    end
    gone[#gone + 1] = id
  end
end
pushAll('SREM', K.claims, gone)
if released > 0 then wakeWorkers() end
flushEvents()
return released
