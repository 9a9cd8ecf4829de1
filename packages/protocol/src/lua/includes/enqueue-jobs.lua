--@include constants.lua
--@include now-ms.lua
--@include job-key.lua
--@include pending-key.lua
--@include groups.lua
--@include chunked.lua
--@include wake-workers.lua
--@include try-job-fields.lua
--@include events.lua
-- Stores new jobs, each pending, or scheduled when it has a run time in the future; a job whose id exists already is
-- left untouched (idempotent by job id). The one way jobs are stored: the enqueue script and the scheduler's fire
-- script both call it. Uses K.high, K.normal, K.low, K.scheduled, K.marker, K.events, K.meta, the group keys
-- (K.groups, K.gactive, K.gwait; see groups.lua) and BASE; emits an `enqueued` event per stored job (the caller
-- flushes them). A job with a group waits in its group instead of a pending list.
--
-- argv: 1 job count n, then per job ENQUEUE_ARGS_PER_JOB values: id, v, task, args, opts, createdAt, priority,
--       maxRetries, delayMs (relative to the Redis clock; 0 = none), runAtMs (absolute epoch ms; 0 = none),
--       dedupe ("" = none, else "<t|d> <ttlMs> <maxDelayMs> <key>"), group ("" = none),
--       then, all optional:
--       2+n*ENQUEUE_ARGS_PER_JOB  maxPending: the most jobs waiting to run (pending + scheduled) the queue may hold;
--                                 0 or absent = no limit
--       3+n*ENQUEUE_ARGS_PER_JOB  "all": the batch is refused as a whole when its new jobs do not all fit under
--                                 maxPending; otherwise each job is admitted in order while there is room
--       4+n*ENQUEUE_ARGS_PER_JOB  "1": this call re-sends one whose reply was lost; an existing job whose envelope
--                                 equals the one sent was stored by the earlier send and is reported as created
-- Returns a list of one value per job: 1 created, 0 an existing job has that id, -1 refused because the queue is
-- full (maxPending), or the id of the job this one is a duplicate of; with "all", either no -1 or every job -1 (and
-- nothing stored).
--
-- Dedupe (BASE .. 'dedupe:' .. key holds the id of the window's job, expiring with the window): "t" throttle: while
-- the key lives, a job with that key is a duplicate of the one it names and nothing is stored. "d" debounce: the job
-- waits ttlMs (scheduled); while it still waits, a job with that key replaces its args and options and pushes its
-- run time to ttlMs from now (never past maxDelayMs after the first enqueue, `ddFirst`), and the window starts
-- again; once it has started, a job with that key starts a new window.
local function enqueueJobs(argv)
  local n = tonumber(argv[1])
  local tail = 2 + n * ENQUEUE_ARGS_PER_JOB
  local limit = tonumber(argv[tail] or '0') or 0
  local resend = argv[tail + 2] == '1'

  -- On a re-send, whether the stored job is the one this call sent (the same envelope) rather than another producer's.
  local function sentBefore(jk, o)
    local f = tryJobFields(jk, 'v', 'task', 'args', 'opts', 'createdAt', 'pri', 'maxr')
    if not f then return false end
    for j = 1, 7 do
      if f[j] ~= argv[o + j] then return false end
    end
    return true
  end

  -- Room left under maxPending (nil = no limit).
  local room = nil
  if limit > 0 then
    room = limit - redis.call('LLEN', K.high) - redis.call('LLEN', K.normal) - redis.call('LLEN', K.low)
      - redis.call('ZCARD', K.scheduled) - (tonumber(redis.call('HGET', K.meta, 'gpending')) or 0)
    if argv[tail + 1] == 'all' then
      local fresh, seen = 0, {}
      for i = 0, n - 1 do
        local id = argv[2 + i * ENQUEUE_ARGS_PER_JOB]
        if not seen[id] and redis.call('EXISTS', jobKey(id)) == 0 then fresh = fresh + 1 end
        seen[id] = true
      end
      if fresh > room then
        local refused = {}
        for i = 1, n do refused[i] = -1 end
        return refused
      end
    end
  end

  local out = {}
  local now = nil
  local earliest = nil
  local ready = { high = {}, normal = {}, low = {} }
  local anyReady = false
  -- pending jobs with a group, per group in the order of the batch
  local grouped, groupOrder = {}, {}
  -- The dedupe of one job: returns the id it is a duplicate of (debounce: after moving that job), or nil to store it;
  -- `dk`, the mode and the numbers for the store.
  local function dedupe(o, id)
    local spec = argv[o + 10]
    if not spec or spec == '' then return nil end
    local mode, ttl, maxDelay, key = string.match(spec, '^(%a) (%d+) (%d+) (.+)$')
    if not mode then return nil end
    local dk = BASE .. 'dedupe:' .. key
    local dd = { key = dk, mode = mode, ttl = tonumber(ttl), maxDelay = tonumber(maxDelay) }
    local holder = redis.call('GET', dk)
    if holder and holder ~= id then
      if mode == 't' then return holder, dd end
      local f = tryJobFields(jobKey(holder), 'state', 'ddFirst')
      if f and f[1] == 'scheduled' then
        now = now or nowMs()
        local runAt = now + dd.ttl
        local first = tonumber(f[2]) or now
        if dd.maxDelay > 0 and runAt > first + dd.maxDelay then runAt = first + dd.maxDelay end
        redis.call('HSET', jobKey(holder), 'args', argv[o + 3], 'opts', argv[o + 4], 'pri', argv[o + 6],
          'maxr', argv[o + 7], 'runAt', runAt)
        local grp = argv[o + 11]
        if grp and grp ~= '' then
          redis.call('HSET', jobKey(holder), 'grp', grp)
        else
          redis.call('HDEL', jobKey(holder), 'grp')
        end
        redis.call('ZADD', K.scheduled, runAt, holder)
        redis.call('SET', dk, holder, 'PX', dd.ttl)
        return holder, dd
      end
    end
    return nil, dd
  end

  for i = 0, n - 1 do
    local o = 2 + i * ENQUEUE_ARGS_PER_JOB
    local id = argv[o]
    local jk = jobKey(id)
    local duplicateOf, dd = dedupe(o, id)
    if duplicateOf then
      out[#out + 1] = duplicateOf
    elseif redis.call('EXISTS', jk) == 1 then
      if resend and sentBefore(jk, o) then out[#out + 1] = 1 else out[#out + 1] = 0 end
    elseif room and room <= 0 then
      out[#out + 1] = -1
    else
      if room then room = room - 1 end
      local pri = argv[o + 6]
      local grp = argv[o + 11]
      if grp == '' then grp = nil end
      local delay, at = tonumber(argv[o + 8]), tonumber(argv[o + 9])
      -- a debounced job waits its window
      if dd and dd.mode == 'd' then delay = dd.ttl end
      local runAt = 0
      if at > 0 or delay > 0 then
        now = now or nowMs()
        if at > 0 then runAt = at else runAt = now + delay end
      end
      if runAt > 0 and runAt > now then
        redis.call('HSET', jk, 'v', argv[o + 1], 'task', argv[o + 2], 'args', argv[o + 3], 'opts', argv[o + 4],
          'createdAt', argv[o + 5], 'pri', pri, 'maxr', argv[o + 7], 'att', 0, 'state', 'scheduled', 'runAt', runAt)
        redis.call('ZADD', K.scheduled, runAt, id)
        if not earliest or runAt < earliest then earliest = runAt end
      else
        redis.call('HSET', jk, 'v', argv[o + 1], 'task', argv[o + 2], 'args', argv[o + 3], 'opts', argv[o + 4],
          'createdAt', argv[o + 5], 'pri', pri, 'maxr', argv[o + 7], 'att', 0, 'state', 'pending')
        if grp then
          local g = grouped[grp]
          if not g then
            g = { ids = {}, pris = {} }
            grouped[grp] = g
            groupOrder[#groupOrder + 1] = grp
          end
          g.ids[#g.ids + 1] = id
          g.pris[#g.pris + 1] = pri
        else
          local list = ready[pri] or ready.normal
          list[#list + 1] = id
          anyReady = true
        end
      end
      if grp then redis.call('HSET', jk, 'grp', grp) end
      if dd then
        redis.call('SET', dd.key, id, 'PX', dd.ttl)
        if dd.mode == 'd' then redis.call('HSET', jk, 'ddFirst', now) end
      end
      emit('enqueued', id)
      out[#out + 1] = 1
    end
  end
  if anyReady then
    for _, pri in ipairs({ 'high', 'normal', 'low' }) do
      pushAll('LPUSH', pendingKey(pri), ready[pri])
    end
  end
  -- a job of a group that has no free slot (or waits for its rate window) wakes nobody: no worker could claim it
  for _, name in ipairs(groupOrder) do
    if pushGroup(name, grouped[name].ids, grouped[name].pris, false) then anyReady = true end
  end
  if anyReady then wakeWorkers() end
  if earliest then wakeAt(earliest) end
  return out
end
