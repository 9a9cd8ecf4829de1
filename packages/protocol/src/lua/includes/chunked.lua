-- Runs a variadic command (LPUSH, ZREM, DEL, ...) over a list of arguments in chunks that Lua's unpack can take.
local function callChunked(command, key, list)
  local n = #list
  local i = 1
  while i <= n do
    local j = math.min(i + 999, n)
    if key then
      redis.call(command, key, unpack(list, i, j))
    else
      redis.call(command, unpack(list, i, j))
    end
    i = j + 1
  end
end

local function pushAll(command, key, list)
  if #list > 0 then callChunked(command, key, list) end
end
