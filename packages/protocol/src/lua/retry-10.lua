--[[
  retry: replays failed jobs from the dead letter: each goes back to pending with its attempts reset (its earlier
  errors are kept).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 failed  5 marker  6 events  7 meta (totals)
        8 groups  9 gactive  10 gwait (the group keys, see includes/groups.lua: a job of a group goes back to it)
  ARGV: 1 mode ("ids" | "all")  2 limit (mode "all": at most this many, oldest first)
        3 mode "all": only jobs that failed at or before this Redis-clock ms ("" = now), so that a caller replaying
          the whole dead letter in several calls stops at what was there when it began: a job that fails again
          meanwhile is not replayed twice, and jobs that keep failing cannot keep the caller going;
        mode "ids": then the ids
  Returns: how many jobs went back to pending.

  A failed id whose job key holds another type (not written by tq) cannot be replayed: it leaves the dead letter and
  the key is removed, as for a record without an envelope, instead of failing this call and every later one.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], failed = KEYS[4], marker = KEYS[5], events = KEYS[6],
            meta = KEYS[7], groups = KEYS[8], gactive = KEYS[9], gwait = KEYS[10] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include job-key.lua
--@include try-job-fields.lua
--@include groups.lua
--@include wake-workers.lua
--@include now-ms.lua
--@include events.lua

local ids
if ARGV[1] == 'all' then
  local before = ARGV[3] ~= nil and ARGV[3] ~= '' and ARGV[3] or nowMs()
  ids = redis.call('ZRANGEBYSCORE', K.failed, '-inf', before, 'LIMIT', 0, tonumber(ARGV[2]))
else
  ids = {}
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local moved = 0
local now = nil
for i = 1, #ids do
  local id = ids[i]
  local jk = jobKey(id)
  local f = tryJobFields(jk, 'state', 'pri', 'v', 'task', 'grp')
  if not f then
    if redis.call('ZREM', K.failed, id) == 1 then redis.call('DEL', jk) end
  elseif f[1] == 'failed' then
    redis.call('ZREM', K.failed, id)
    if f[3] then
      -- runAt: when it became runnable again (JobInfo.waitedMs counts from it)
      now = now or nowMs()
      redis.call('HSET', jk, 'state', 'pending', 'att', 0, 'runAt', now)
      redis.call('HDEL', jk, 'finishedAt', 'tok')
      pushPending(id, f[2], f[5], false)
      emit('enqueued', id)
      moved = moved + 1
    else
      redis.call('DEL', jk)
    end
  end
end
if moved > 0 then wakeWorkers() end
flushEvents()
return moved
