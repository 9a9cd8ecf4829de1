--[[
  crashed: fails the runs a worker process was in the middle of when it died or was killed (a crash, an OOM kill,
  a hard timeout), at once instead of waiting for their leases to expire. Used by the WorkerPool supervisor,
  which knows each child's runs (id and fencing token).

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 active  6 failed  7 marker  8 meta  9 events
        10 throughput (per-minute completed/failed counts)
        11 groups  12 gactive  13 gwait (the group keys, see includes/groups.lua)
  ARGV: per run: id, token, retry delay ms (-1 = do not retry), stalled ("1" counts a stall: the
        process died; "0": it was killed for overrunning), error JSON (its `attempt` is filled in here)
  Returns: one char per run: r retry scheduled, f dead-lettered (also a job key that is not a hash: it is replaced
           by a failed record saying so), l not active under that token (already finished, handed back or
           reclaimed): nothing changed

  Invariants: fenced like an ack (state active and the same token), so a run that already ended, or a job another
  worker has claimed since, is never touched. A failed run counts like any other: the job is retried while
  attempts <= maxRetries, then dead-lettered, so a job that kills every process running it ends in `failed`.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], active = KEYS[5],
            failed = KEYS[6], marker = KEYS[7], meta = KEYS[8], events = KEYS[9],
            throughput = KEYS[10], groups = KEYS[11], gactive = KEYS[12], gwait = KEYS[13] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include fail-run.lua
--@include wake-flags.lua
--@include wake-workers.lua
--@include retention.lua
--@include events.lua

local now = nowMs()
local out = {}
for i = 1, #ARGV, 5 do
  local id, token, delay, stalled, errJson = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4]
  local jk = jobKey(id)
  local f = jobFields(id, jk, now, 'state', 'tok', 'att', 'maxr', 'pri', 'task', 'wid', 'grp')
  if not f then
    -- the key held another type: jobFields dead-lettered it
    out[#out + 1] = 'f'
  elseif f[1] ~= 'active' or f[2] ~= token then
    out[#out + 1] = 'l'
  else
    local att = tonumber(f[3]) or 1
    local maxr = tonumber(f[4]) or 0
    local ok, decoded = pcall(cjson.decode, errJson)
    if ok and type(decoded) == 'table' then
      decoded.attempt = att
      errJson = cjson.encode(decoded)
    end
    redis.call('ZREM', K.active, id)
    if stalled == '1' then redis.call('HINCRBY', jk, 'stalls', 1) end
    out[#out + 1] = failRun(id, jk, att, maxr, f[5], errJson, delay, now, stalled == '1' and 'stalled' or 'retrying',
      f[6], f[7], f[8])
  end
end
if WAKE.failed then applyRetention(now, false, true) end
if WAKE.ready then wakeWorkers() end
flushEvents(now)
return table.concat(out)
