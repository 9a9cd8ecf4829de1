--@include job-key.lua
--@include job-fields.lua
--@include groups.lua
--@include chunked.lua
-- Moves due scheduled jobs (run-at <= now) to their pending lists (or groups), at most `limit` per call, in run-at
-- order. Returns how many were moved.
local function promoteDue(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K.scheduled, '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  local ready = { high = {}, normal = {}, low = {} }
  for i = 1, #due do
    local id = due[i]
    local jk = jobKey(id)
    local f = jobFields(id, jk, now, 'state', 'pri', 'grp')
    if f and f[1] == 'scheduled' then
      redis.call('HSET', jk, 'state', 'pending')
      if f[3] then
        pushPending(id, f[2], f[3], false)
      else
        local list = ready[f[2]] or ready.normal
        list[#list + 1] = id
      end
    end
  end
  for _, pri in ipairs({ 'high', 'normal', 'low' }) do pushAll('LPUSH', pendingKey(pri), ready[pri]) end
  callChunked('ZREM', K.scheduled, due)
  return #due
end
