--[[
  take: a worker's one round trip. Applies its finished runs (acks), moves due scheduled jobs to pending, takes back
  expired leases, then claims up to N jobs with fresh leases and fencing tokens.

  KEYS: 1 pending:high  2 pending:normal  3 pending:low  4 scheduled  5 active  6 completed  7 failed
        8 marker  9 meta  10 events  11 claims:<workerId> (the ids this worker claimed)
        12 throughput (per-minute completed/failed counts)  13 starts (the rate-limit window's starts)
        14 groups (the ring of groups that can run a job now)  15 gactive (group -> active count)
        16 gwait (groups waiting for their rate window)
  ARGV: 1 leaseMs  2 claim count  3 ack count  4 worker id
        5 max result bytes (a larger completion is refused: the job fails with PAYLOAD_TOO_LARGE)
        then per ack: id, token, op ("c" completed | "f" failed run | "b" hand back uncounted: the handler was
        throttled, see ctx.rateLimit), payload (result or error JSON),
        retry delay ms (op "f" only; -1 = do not retry)
  Returns: { nextWakeMs (-1 = nothing timed; -2 = not computed because every slot was filled),
             limit (why fewer jobs were claimed than asked for although jobs are pending: "" none, "r" the rate
             limit's window is full, "h" claims are held (ctx.rateLimit), "c" the global concurrency is reached,
             "g" the pending jobs are all in groups without a free slot or an open rate window;
             for "r" and "h", nextWakeMs is when claiming may start again; for "g" it counts the earliest time a
             group's window opens),
             ack outcomes (one char per ack: c completed, r retry scheduled, f dead-lettered, p dead-lettered because
             the payload was over its limit, d dead-lettered because the job's key is not a job record, b handed
             back, l lease lost: ignored),
             then for each claimed job: id, token, attempt, waited ms (since it became runnable), v, task, args, opts,
             createdAt, pri, maxr }
  Events: one entry per call holding its completed, retrying, failed, stalled and started ids (with `wid`), the
  call's retrying and stalled counts added to meta's `total:<kind>`, its completed and failed ones to the minute's
  counts, which move into meta's totals when they leave the window (includes/events.lua).

  Flow control (meta fields, each absent when unset): `conc` caps the jobs active at once across every worker
  (ZCARD of active after this call's acks and reclaims); `rlMax` starts in any `rlMs` window (a sliding log in
  K.starts, so no window of rlMs holds more than rlMax starts, whatever its boundaries); `holdUntil` holds every
  claim until that Redis-clock time. A queue that sets none of them costs one HMGET, as the paused check did.

  Groups (includes/groups.lua): jobs with a group wait in their group's ZSET, and the groups that can run one now
  take turns in K.groups (round robin), within `gconc` active jobs per group and `grlMax` starts per `grlMs` per
  group. While the queue has grouped jobs pending (meta `gpending`, read in the same HMGET), a claim of N splits
  them between the groups and the pending lists (half each, the odd one alternating by meta `gflip`), and either
  side takes what the other leaves, so neither starves the other. Global limits apply first, to the whole claim.

  Invariants: an ack applies only while the job is active under the same fencing token, so a worker whose lease
  was lost cannot complete, fail or retry the job. An applied ack is recorded on the job (`ack` = token:outcome), so
  an ack sent again after its reply was lost reports the outcome it had instead of "lease lost" (a completion needs no
  record: the job is completed under the same token). Every claim gets a
  token no claim had before (the queue's counter) and is tagged with the worker's id (`wid`, and the worker's
  claims set), so a worker whose claim reply was lost can hand those jobs back (recover). Leases are deadlines on
  the Redis clock. An id in a pending list without a job record is dead-lettered, never returned; a job is claimed
  only from state pending, so a stale duplicate id cannot run it twice.
]]
local K = { high = KEYS[1], normal = KEYS[2], low = KEYS[3], scheduled = KEYS[4], active = KEYS[5],
            completed = KEYS[6], failed = KEYS[7], marker = KEYS[8], meta = KEYS[9], events = KEYS[10],
            claims = KEYS[11], throughput = KEYS[12], starts = KEYS[13], groups = KEYS[14], gactive = KEYS[15],
            gwait = KEYS[16] }
local BASE = string.sub(KEYS[1], 1, -#'pending:high' - 1)
--@include constants.lua
--@include now-ms.lua
--@include job-key.lua
--@include job-fields.lua
--@include fail-run.lua
--@include hand-back.lua
--@include dead-letter.lua
--@include wake-flags.lua
--@include wake-workers.lua
--@include chunked.lua
--@include retention.lua
--@include promote-due.lua
--@include reclaim-expired.lua
--@include any-pending.lua
--@include next-wake.lua
--@include events.lua
--@include groups.lua

local now = nowMs()
local leaseMs = tonumber(ARGV[1])
local want = tonumber(ARGV[2])
local nAcks = tonumber(ARGV[3])
local workerId = ARGV[4]
EVENT_WORKER = workerId
local maxResultBytes = tonumber(ARGV[5]) or 0
-- Errors are capped field by field by the worker; MAX_ERROR_BYTES bounds what any caller can store as one.

-- 1. acks
local outcomes = {}
local done = {}
local acked = {}
local completedZ = {}
-- a completion freed a slot that lets its group run again
local groupFreed = false
for i = 0, nAcks - 1 do
  local o = 6 + i * 5
  local id, token, op, payload = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
  local jk = jobKey(id)
  acked[#acked + 1] = id
  local f = jobFields(id, jk, now, 'state', 'tok', 'att', 'maxr', 'pri', 'ack', 'task', 'grp')
  local outcome
  if not f then
    -- the key held another type: jobFields dead-lettered it
    outcome = 'd'
  elseif f[1] ~= 'active' or f[2] ~= token then
    -- Not (or no longer) active under this token. If this very ack was applied by an earlier call whose reply was
    -- lost, say what it did; anything else is a lost lease.
    local prev = f[6]
    if f[1] == 'completed' and f[2] == token then
      -- only the holder of this token can have completed the job: this ack did, in that earlier call
      outcome = 'c'
    elseif prev and string.sub(prev, 1, #token + 1) == token .. ':' then
      outcome = string.sub(prev, #token + 2)
    else
      outcome = 'l'
    end
  else
    done[#done + 1] = id
    if op == 'c' and maxResultBytes > 0 and #payload > maxResultBytes then
      local err = cjson.encode({ name = 'TqError', code = 'PAYLOAD_TOO_LARGE', attempt = tonumber(f[3]) or 1,
        message = 'the result of job "' .. id .. '" is ' .. #payload .. ' bytes, over the ' .. maxResultBytes ..
          '-byte limit (maxResultBytes); it was not stored: return a reference to large data instead' })
      failRun(id, jk, 1, 0, f[5], err, -1, now, nil, f[7], workerId, f[8])
      outcome = 'p'
    elseif op == 'b' then
      handBack(id, jk, f[5], f[8])
      WAKE.ready = true
      outcome = 'b'
    elseif op == 'c' then
      -- no `ack` record needed: state completed under this token says it (and completed jobs stay small)
      redis.call('HSET', jk, 'state', 'completed', 'finishedAt', now, 'result', payload)
      completedZ[#completedZ + 1] = now
      completedZ[#completedZ + 1] = id
      emit('completed', id)
      if slotFreed(f[8]) then groupFreed = true end
      outcome = 'c'
    else
      if #payload > MAX_ERROR_BYTES then
        payload = cjson.encode({ name = 'TqError', code = 'PAYLOAD_TOO_LARGE', attempt = tonumber(f[3]) or 1,
          message = 'the error of this run was ' .. #payload .. ' bytes, over the ' .. MAX_ERROR_BYTES ..
            '-byte limit; it was not stored' })
      end
      outcome = failRun(id, jk, tonumber(f[3]) or 1, tonumber(f[4]) or 0, f[5], payload,
        tonumber(ARGV[o + 4]) or -1, now, nil, f[7], workerId, f[8])
    end
    if outcome ~= 'c' then redis.call('HSET', jk, 'ack', token .. ':' .. outcome) end
  end
  outcomes[#outcomes + 1] = outcome
end
pushAll('SREM', K.claims, acked)
pushAll('ZREM', K.active, done)
pushAll('ZADD', K.completed, completedZ)

-- Finished runs free room under a global concurrency limit: an idle worker may claim now. A call that claims
-- takes that room itself.
if #done > 0 and want == 0 and redis.call('HEXISTS', K.meta, 'conc') == 1 and anyPending() then WAKE.ready = true end
if groupFreed and want == 0 then WAKE.ready = true end

-- 2. time-based moves
if promoteDue(now, 1000) > 0 then WAKE.ready = true end
if reclaimExpired(now, 100) > 0 then WAKE.ready = true end

-- 3. claim, within the queue's flow-control limits
local out = { NEXT_WAKE_NOT_COMPUTED, '', table.concat(outcomes) }
local claimed = 0
local asked = want
local limitWake = nil
-- One HMGET of meta serves the claim's limits and the retention of this call's finished runs (fields 7-10).
local retain = #completedZ > 0 or WAKE.failed
local m = (want > 0 or retain) and redis.call('HMGET', K.meta, 'paused', 'rlMax', 'rlMs', 'conc', 'holdUntil',
  'gpending', unpack(RETENTION_FIELDS)) or {}
if retain then applyRetention(now, #completedZ > 0, WAKE.failed, { m[7], m[8], m[9], m[10] }) end
local rateLimited = tonumber(m[2]) ~= nil and tonumber(m[3]) ~= nil
local groupsPending = (tonumber(m[6]) or 0) > 0
local startsZ = {}
if m[1] == '1' then
  want = 0
elseif want > 0 then
  local hold = tonumber(m[5])
  if hold and hold > now then
    want = 0
    out[2] = 'h'
    limitWake = hold - now
  end
  local conc = tonumber(m[4])
  if conc and want > 0 then
    local room = math.max(0, conc - redis.call('ZCARD', K.active))
    if room < want then
      want = room
      out[2] = 'c'
    end
  end
  if rateLimited and want > 0 then
    local rlMax, rlMs = tonumber(m[2]), tonumber(m[3])
    redis.call('ZREMRANGEBYSCORE', K.starts, '-inf', now - rlMs)
    local room = math.max(0, rlMax - redis.call('ZCARD', K.starts))
    if room < want then
      want = room
      out[2] = 'r'
      if room == 0 then
        local oldest = redis.call('ZRANGE', K.starts, 0, 0, 'WITHSCORES')
        limitWake = math.max(1, tonumber(oldest[2]) + rlMs - now)
      end
    end
  end
end
if want > 0 then
  local activeZ = {}
  local token = nil

  -- Claims the job `id` popped from a pending list or a group: returns its fencing token, or nil when it is not
  -- pending (a stale duplicate id: the job is already elsewhere) or has no record (dead-lettered).
  local function claimJob(id)
    local jk = jobKey(id)
    local f = jobFields(id, jk, now, 'state', 'att', 'v', 'task', 'args', 'opts', 'createdAt', 'pri', 'maxr',
      'runAt')
    if not f then
      -- a key of the wrong type: jobFields dead-lettered it
      return nil
    elseif f[1] == 'pending' then
      -- one counter increment reserves tokens for the whole batch; unused ones are simply skipped
      if not token then token = redis.call('HINCRBY', K.meta, 'fence', want) - want end
      token = token + 1
      local att = (tonumber(f[2]) or 0) + 1
      redis.call('HSET', jk, 'state', 'active', 'att', att, 'tok', token, 'startedAt', now, 'wid', workerId)
      activeZ[#activeZ + 1] = now + leaseMs
      activeZ[#activeZ + 1] = id
      local n = #out
      out[n + 1] = id
      out[n + 2] = tostring(token)
      out[n + 3] = att
      -- how long it waited: since it became runnable (a delay, a backoff, a reclaim), else since its creation
      out[n + 4] = math.max(0, now - (tonumber(f[10]) or tonumber(f[7]) or now))
      out[n + 5] = f[3]
      out[n + 6] = f[4]
      out[n + 7] = f[5]
      out[n + 8] = f[6]
      out[n + 9] = f[7]
      out[n + 10] = f[8]
      out[n + 11] = f[9]
      if rateLimited then
        startsZ[#startsZ + 1] = now
        startsZ[#startsZ + 1] = token
      end
      emit('started', id)
      claimed = claimed + 1
      return token
    elseif not f[1] then
      -- An id with no job record (written into Redis by something other than tq): keep it visible.
      deadLetter(id, jk, cjson.encode({ name = 'TqError', code = 'DECODE',
        message = 'undecodable job record: id "' .. id .. '" was in a pending list or group but has no job record' }),
        now)
      WAKE.failed = true
    end
    return nil
  end

  -- Claims from the pending lists, highest priority first, until `upTo` jobs are claimed in all. On Redis 7.0 and
  -- later one LMPOP pops from the first list that has jobs, so a queue whose jobs are all of one priority spends one
  -- call, not one per empty list before it.
  local function claimFromLists(upTo)
    if redis.REDIS_VERSION_NUM then
      while claimed < upTo do
        local popped = redis.call('LMPOP', 3, K.high, K.normal, K.low, 'RIGHT', 'COUNT', upTo - claimed)
        if not popped then break end
        local ids = popped[2]
        for i = 1, #ids do claimJob(ids[i]) end
      end
      return
    end
    local lists = { K.high, K.normal, K.low }
    for li = 1, 3 do
      while claimed < upTo do
        local ids = redis.call('RPOP', lists[li], upTo - claimed)
        if not ids then break end
        for i = 1, #ids do claimJob(ids[i]) end
      end
    end
  end

  if not groupsPending then
    claimFromLists(want)
  else
    reopenGroups(now, 100)
    local share = want
    if redis.call('EXISTS', K.groups) == 1 and redis.call('EXISTS', K.high, K.normal, K.low) > 0 then
      -- both kinds wait: half of the claim each, the odd one alternating, and either side takes what the other leaves
      share = math.floor(want / 2)
      if want % 2 == 1 and redis.call('HINCRBY', K.meta, 'gflip', 1) % 2 == 1 then share = share + 1 end
    end
    local _, finished = claimFromGroups(share, now, claimJob)
    claimFromLists(want)
    if claimed < want and finished then _, finished = claimFromGroups(want - claimed, now, claimJob) end
    -- it ran out of turns with groups left in the ring: another call (maybe another worker's) goes on
    if not finished then WAKE.ready = true end
    if claimed < want and out[2] == '' and (tonumber(redis.call('HGET', K.meta, 'gpending')) or 0) > 0 then
      out[2] = 'g'
      local first = redis.call('ZRANGE', K.gwait, 0, 0, 'WITHSCORES')
      if first[2] then limitWake = math.max(1, tonumber(first[2]) - now) end
    end
  end
  pushAll('ZADD', K.active, activeZ)
  if claimed > 0 then
    local ids = {}
    for i = 2, #activeZ, 2 do ids[#ids + 1] = activeZ[i] end
    callChunked('SADD', K.claims, ids)
    -- The set only matters until the claims' leases would run out; a worker that is gone leaves nothing behind.
    redis.call('PEXPIRE', K.claims, math.max(2 * leaseMs, 60000))
    if rateLimited then
      -- each start is in the window for rlMs; the log goes with the last of them
      callChunked('ZADD', K.starts, startsZ)
      redis.call('PEXPIRE', K.starts, tonumber(m[3]))
    end
  end
  -- more work for another worker: only when this call was not held back by a limit (another worker would be too)
  if claimed == want and out[2] == '' and anyPending() then WAKE.ready = true end
end
if WAKE.ready then wakeWorkers() end
flushEvents(now)
-- The worker blocks only when it got fewer jobs than it asked for: only then does it need the next timed event.
if claimed < asked or asked == 0 then
  local wake = nextWake(now)
  if limitWake and (wake < 0 or limitWake < wake) then wake = limitWake end
  out[1] = wake
end
return out
