--@include constants.lua
--@include now-ms.lua
-- Events are collected while a script runs and written at its end by flushEvents(): one stream entry per kind of
-- event on K.events. Fields of an entry (see docs/redis-layout.md, and `decodeEventEntry` in events.ts):
--   e     the kind
--   id    the job ids, space-separated (job ids never contain whitespace)
--   task  the task names, newline-separated (task names have no control characters)
--   att   the attempts (1-based run number), space-separated
--   wid   the worker ids, space-separated (worker ids have no whitespace)
--   err   a JSON array of one error summary ({ name, message, code? }, or null) per job
--   prog  a JSON array of one progress value per job
-- A per-job field is left out when no job of the entry has a value, holds one value when every job has the same
-- one (e.g. the worker of a batch of claims), and one value per job otherwise ("" for none). The stream is capped
-- near MAX_EVENTS entries.
--
-- When the script declares K.throughput, flushEvents also counts the completed and failed jobs of the call in the
-- current minute: one HINCRBY per kind, and once per new minute an HDEL of the minutes that fell out of the window
-- and a PEXPIREAT, so the hash holds at most THROUGHPUT_WINDOW_MINUTES minutes (see countThroughput).
local EVENTS = {}
local EVENT_ORDER = {}
local function emit(event, id, task, att, wid, err, prog)
  local ev = EVENTS[event]
  if not ev then
    ev = { n = 0, id = {}, task = {}, att = {}, wid = {}, err = {}, prog = {} }
    EVENTS[event] = ev
    EVENT_ORDER[#EVENT_ORDER + 1] = event
  end
  local n = ev.n + 1
  ev.n = n
  ev.id[n] = id
  -- absent values are stored as false so the column stays a sequence
  ev.task[n] = task or false
  ev.att[n] = att or false
  ev.wid[n] = wid or false
  ev.err[n] = err or false
  ev.prog[n] = prog or false
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
  return cjson.encode(s)
end

-- One column of an entry: nil when no value, the value when all are equal, else the values joined by `sep`.
local function column(values, n, sep)
  local first = values[1]
  local same = true
  local any = first ~= false
  for i = 2, n do
    local v = values[i]
    if v ~= first then same = false end
    if v ~= false then any = true end
  end
  if not any then return nil end
  if same then return tostring(first) end
  local parts = {}
  for i = 1, n do
    local v = values[i]
    parts[i] = v == false and '' or tostring(v)
  end
  return table.concat(parts, sep)
end

-- A JSON column: nil when no value, else a JSON array with one element per job (null for none).
local function jsonColumn(values, n)
  local parts = {}
  local any = false
  for i = 1, n do
    local v = values[i]
    if v == false then parts[i] = 'null' else parts[i] = v; any = true end
  end
  if not any then return nil end
  return '[' .. table.concat(parts, ',') .. ']'
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
  for _, event in ipairs(EVENT_ORDER) do
    local ev = EVENTS[event]
    local n = ev.n
    local args = { 'XADD', K.events, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', event, 'id', table.concat(ev.id, ' ') }
    local task = column(ev.task, n, '\n')
    if task then args[#args + 1] = 'task'; args[#args + 1] = task end
    local att = column(ev.att, n, ' ')
    if att then args[#args + 1] = 'att'; args[#args + 1] = att end
    local wid = column(ev.wid, n, ' ')
    if wid then args[#args + 1] = 'wid'; args[#args + 1] = wid end
    local err = jsonColumn(ev.err, n)
    if err then args[#args + 1] = 'err'; args[#args + 1] = err end
    local prog = jsonColumn(ev.prog, n)
    if prog then args[#args + 1] = 'prog'; args[#args + 1] = prog end
    redis.call(unpack(args))
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
