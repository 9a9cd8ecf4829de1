--@include constants.lua
-- Events are collected while a script runs and written at its end by flushEvents(): one stream entry per kind
-- of event on K.events, its `id` field the space-separated ids (job ids never contain whitespace). The stream is
-- capped near MAX_EVENTS entries.
local EVENTS = {}
local EVENT_ORDER = {}
local function emit(event, id)
  local ids = EVENTS[event]
  if not ids then
    ids = {}
    EVENTS[event] = ids
    EVENT_ORDER[#EVENT_ORDER + 1] = event
  end
  ids[#ids + 1] = id
end

local function flushEvents()
  for _, event in ipairs(EVENT_ORDER) do
    redis.call('XADD', K.events, 'MAXLEN', '~', MAX_EVENTS, '*', 'e', event, 'id', table.concat(EVENTS[event], ' '))
  end
end
