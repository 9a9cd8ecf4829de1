--[[
  cancel: removes a job that has not started (scheduled or pending), or ends a running one: an active job leaves
  `active` and is dead-lettered at once with a CANCELLED error, without retries, and the worker running it is told on
  the queue's cancel channel. Finished jobs are left alone.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 events  6 active  7 failed  8 meta
        9 throughput (per-minute completed/failed counts)
        10 cancel (a Pub/Sub channel, not a key: declared so that the call's slot covers it, see below)
        11 groups  12 gactive  13 gwait (the group keys, see includes/groups.lua)
        14 marker (a freed group slot wakes an idle worker)
  ARGV: 1 id
  A pending job of a group leaves its group (the group leaves the ring once it has nothing pending); a running one
  frees its group slot.
  Returns: 1 removed (it had not started), 2 failed as cancelled (it was running), 0 no such job, or the job's state
           as a string when it cannot be cancelled (it is finished).
  Events: `cancelled` (with the task) for a removed job; `failed` with detail (task, attempt, worker, error) for a
  running one, counted in meta's `total:failed` and the minute's failed count like any dead-lettered run.

  Invariants: the running job's fencing token (`tok`) is left as it is and its state is no longer `active`, so the
  run's late ack is refused as a lost lease (`l`) and its result discarded, and its lease cannot be renewed (extend
  reports it cancelled). The announcement is `<id> <token>` on KEYS[10], sent with PUBLISH. Under Redis Cluster with
  sharded Pub/Sub this would become SPUBLISH (the channel carries the queue's hash tag, so it lives in the queue's
  slot). It is sent with pcall: a user whose ACL refuses the channel still cancels the job, and the worker notices
  at its next lease renewal. A worker that missed the message (its subscriber was disconnected) notices the same way.
  The worker's claims set keeps the id until the worker's next `recover` call or the set's expiry (it names the key
  by worker id, which this call cannot declare); `recover` skips ids that are no longer active.

  A job key that holds another type (not written by tq) is removed, with its id wherever a waiting job could be,
  instead of failing this call and every later one for that id.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], events = KEYS[5],
            active = KEYS[6], failed = KEYS[7], meta = KEYS[8], throughput = KEYS[9], channel = KEYS[10],
            groups = KEYS[11], gactive = KEYS[12], gwait = KEYS[13], marker = KEYS[14] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include try-job-fields.lua
--@include pending-key.lua
--@include groups.lua
--@include wake-workers.lua
--@include dead-letter.lua
--@include retention.lua
--@include events.lua

local id = ARGV[1]
local jk = jobKey(id)
local f = tryJobFields(jk, 'state', 'pri', 'task', 'tok', 'att', 'wid', 'grp')
if not f then
  redis.call('ZREM', K.scheduled, id)
  for _, list in ipairs({ K.high, K.normal, K.low }) do redis.call('LREM', list, 0, id) end
  redis.call('DEL', jk)
  emit('cancelled', id)
  flushEvents()
  return 1
end
if not f[1] then return 0 end
if f[1] == 'active' then
  local now = nowMs()
  local att = tonumber(f[5]) or 1
  local err = cjson.encode({ name = 'TqError', code = 'CANCELLED', attempt = att,
    message = 'cancelled while running (attempt ' .. att .. ')' })
  redis.call('ZREM', K.active, id)
  deadLetter(id, jk, err, now, f[3], att, f[6])
  if slotFreed(f[7]) then wakeWorkers() end
  applyRetention(now, false, true)
  flushEvents(now)
  redis.pcall('PUBLISH', K.channel, id .. ' ' .. (f[4] or ''))
  return 2
end
if f[1] == 'scheduled' then
  redis.call('ZREM', K.scheduled, id)
elseif f[1] == 'pending' then
  if f[7] then
    removeFromGroup(f[7], id)
  else
    redis.call('LREM', pendingKey(f[2]), 0, id)
  end
else
  return f[1]
end
redis.call('DEL', jk)
emit('cancelled', id, { task = f[3] })
flushEvents()
return 1
