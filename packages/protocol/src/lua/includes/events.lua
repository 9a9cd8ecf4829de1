--@include constants.lua
--@include now-ms.lua
-- Events are collected while a script runs and written at its end by flushEvents(): at most one stream entry per
-- script call on K.events. The stream keeps about MAX_EVENT_IDS job events: each write trims it (MAXLEN ~) to
-- MAX_EVENT_IDS / <ids in the new entry> entries, kept between MIN_EVENTS and MAX_EVENTS, so a batch of 1,000 ids
-- and a single id cost the stream alike per event. Fields of an entry (see docs/redis-layout.md, and
-- `decodeEventEntry` in events.ts), in the order the script emitted them:
--   <kind>     for each kind of event of the call (enqueued, started, completed, …): the job ids, space-separated
--              (job ids never contain whitespace)
--   <kind>.d   for kinds that carry detail (retrying, failed, stalled, progress, cancelled): a JSON array with one
--              object per id ({ task?, att?, wid?, err?, prog? }, or null)
--   wid        the worker whose call wrote the entry (set by scripts a worker runs for itself: EVENT_WORKER)
-- The kinds a worker writes for every job (enqueued, started, completed) carry ids only, so the hot path writes one
-- small entry per call; readers take task, attempt and worker from the job's record when they want them.
--
-- When the script declares K.meta, flushEvents also adds the call's count of each counted kind to the queue's
-- totals (`total:<kind>` fields of meta: monotonic since the queue was created). When it also declares
-- K.throughput, the completed and failed jobs of the call are counted once, in the current minute of K.throughput
-- (one HINCRBY per kind); a minute's count moves into meta's total when the minute leaves the window (see
-- countThroughput), so a queue's total of completed (failed) jobs is meta's `total:completed` (`total:failed`) plus
-- the `c:` (`f:`) minutes still in the hash.
local EVENTS = {}
local EVENT_ORDER = {}
local EVENT_WORKER = nil
local COUNTED_KINDS = { 'enqueued', 'completed', 'failed', 'retrying', 'stalled' }

-- Records one event; `detail` (a table, or its JSON text; rare kinds only) goes into the entry's `<kind>.d` field.
local function emit(kind, id, detail)
  local ev = EVENTS[kind]
  if not ev then
    ev = { n = 0, ids = {} }
    EVENTS[kind] = ev
    EVENT_ORDER[#EVENT_ORDER + 1] = kind
  end
  local n = ev.n + 1
  ev.n = n
  ev.ids[n] = id
  if detail then
    if not ev.d then ev.d = {} end
    ev.d[n] = detail
  end
end

-- An error's JSON reduced to what an event carries: name, message (cut to EVENT_ERROR_MESSAGE_BYTES, at a
-- character boundary) and code. Used only on the failure paths.
local function errorSummary(errJson)
  local ok, e = pcall(cjson.decode, errJson)
  if not ok or type(e) ~= 'table' then return nil end
  local message = type(e.message) == 'string' and e.message or ''
  if #message > EVENT_ERROR_MESSAGE_BYTES then
    local cut = EVENT_ERROR_MESSAGE_BYTES
    -- do not end inside a UTF-8 sequence: back off over continuation bytes
    while cut > 0 and string.byte(message, cut + 1) and string.byte(message, cut + 1) >= 128
      and string.byte(message, cut + 1) < 192 do
      cut = cut - 1
    end
    message = string.sub(message, 1, cut)
  end
  local s = { name = type(e.name) == 'string' and e.name or 'Error', message = message }
  if type(e.code) == 'string' then s.code = e.code end
  return s
end

-- The detail of a failure event: the run's task, attempt and worker, and the error summary.
local function failureDetail(task, att, wid, errJson)
  return { task = task, att = att, wid = wid, err = errJson and errorSummary(errJson) or nil }
end

-- The meta total a throughput kind's minutes move into when they leave the window.
local THROUGHPUT_TOTALS = { c = 'total:completed', f = 'total:failed' }

-- Adds `count` to kind `kind` ("c" completed, "f" failed) of the current minute in K.throughput (fields
-- "<kind>:<minute>", minute = floor(ms / 60000)). The first count of a kind in a minute also moves that kind's
-- minutes that left the window (older than THROUGHPUT_WINDOW_MINUTES) into meta's total: one HGETALL of at most
-- twice the window's fields and one HDEL and HINCRBY, once a minute. So the hash holds at most
-- THROUGHPUT_WINDOW_MINUTES minutes per kind while the queue is busy, and what an idle queue left stays until its next
-- completion or failure; no count is ever dropped.
local function countThroughput(kind, count, now)
  local minute = math.floor(now / 60000)
  if redis.call('HINCRBY', K.throughput, kind .. ':' .. minute, count) ~= count then return end
  local fields = redis.call('HGETALL', K.throughput)
  local old, moved = {}, 0
  local oldest = minute - THROUGHPUT_WINDOW_MINUTES
  for i = 1, #fields, 2 do
    local k, m = string.match(fields[i], '^(%a):(%d+)$')
    if k == kind and tonumber(m) <= oldest then
      old[#old + 1] = fields[i]
      moved = moved + (tonumber(fields[i + 1]) or 0)
    end
  end
  if #old > 0 then
    redis.call('HDEL', K.throughput, unpack(old))
    redis.call('HINCRBY', K.meta, THROUGHPUT_TOTALS[kind], moved)
  end
end

local function flushEvents(now)
  if #EVENT_ORDER == 0 then return end
  local n = 0
  for _, kind in ipairs(EVENT_ORDER) do n = n + EVENTS[kind].n end
  local cap = math.max(MIN_EVENTS, math.min(MAX_EVENTS, math.floor(MAX_EVENT_IDS / n)))
  local args = { 'XADD', K.events, 'MAXLEN', '~', cap, '*' }
  for _, kind in ipairs(EVENT_ORDER) do
    local ev = EVENTS[kind]
    args[#args + 1] = kind
    args[#args + 1] = table.concat(ev.ids, ' ')
    if ev.d then
      local parts = {}
      for i = 1, ev.n do
        local d = ev.d[i]
        if not d then parts[i] = 'null' elseif type(d) == 'string' then parts[i] = d else parts[i] = cjson.encode(d) end
      end
      args[#args + 1] = kind .. '.d'
      args[#args + 1] = '[' .. table.concat(parts, ',') .. ']'
    end
  end
  if EVENT_WORKER then
    args[#args + 1] = 'wid'
    args[#args + 1] = EVENT_WORKER
  end
  redis.call(unpack(args))
  -- completed and failed jobs go into the minute's count (and from there into the total): one write per kind
  local perMinute = K.throughput and K.meta
  if K.meta then
    for _, kind in ipairs(COUNTED_KINDS) do
      local ev = EVENTS[kind]
      if ev and not (perMinute and (kind == 'completed' or kind == 'failed')) then
        redis.call('HINCRBY', K.meta, 'total:' .. kind, ev.n)
      end
    end
  end
  if perMinute then
    local c, f = EVENTS.completed, EVENTS.failed
    if c or f then
      now = now or nowMs()
      if c then countThroughput('c', c.n, now) end
      if f then countThroughput('f', f.n, now) end
    end
  end
end
