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
-- totals (`total:<kind>` fields of meta: monotonic since the queue was created). When it declares K.throughput, it
-- counts the completed and failed jobs of the call in the current minute: one HINCRBY per kind, and once per new
-- minute an HDEL of the minutes that fell out of the window and a PEXPIREAT, so the hash holds at most
-- THROUGHPUT_WINDOW_MINUTES minutes (see countThroughput).
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

-- Adds `count` to kind `kind` ("c" completed, "f" failed) of the current minute in K.throughput (fields
-- "<kind>:<minute>", minute = floor(ms / 60000)). The first count of a minute also drops the minutes that fell out
-- of the window since a window ago (at most THROUGHPUT_WINDOW_MINUTES fields, once a minute) and makes the hash
-- expire when its newest minute leaves the window, so idle queues keep nothing and busy ones at most the window.
local function countThroughput(kind, count, now)
  local minute = math.floor(now / 60000)
  if redis.call('HINCRBY', K.throughput, kind .. ':' .. minute, count) ~= count then return end
  local old = {}
  for m = minute - 2 * THROUGHPUT_WINDOW_MINUTES + 1, minute - THROUGHPUT_WINDOW_MINUTES do
    old[#old + 1] = kind .. ':' .. m
  end
  redis.call('HDEL', K.throughput, unpack(old))
  redis.call('PEXPIREAT', K.throughput, (minute + 1 + THROUGHPUT_WINDOW_MINUTES) * 60000)
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
  if K.meta then
    for _, kind in ipairs(COUNTED_KINDS) do
      local ev = EVENTS[kind]
      if ev then redis.call('HINCRBY', K.meta, 'total:' .. kind, ev.n) end
    end
  end
  if K.throughput then
    local c, f = EVENTS.completed, EVENTS.failed
    if c or f then
      now = now or nowMs()
      if c then countThroughput('c', c.n, now) end
      if f then countThroughput('f', f.n, now) end
    end
  end
end
