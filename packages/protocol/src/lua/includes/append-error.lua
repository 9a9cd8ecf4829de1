--@include constants.lua
-- Records a run's error as the job's last error, appends it to the job's recent errors (keeping the newest
-- MAX_ERRORS_KEPT) and counts it in `errn`. Without a cap a job that fails many runs, or is replayed many times,
-- grows without bound and each failure copies the whole string.
local function appendError(jk, errJson)
  local h = redis.call('HMGET', jk, 'errors', 'errn')
  local errs, errn = h[1], tonumber(h[2])
  local whole = errs and #errs > 2 and string.sub(errs, 1, 1) == '[' and string.sub(errs, -1) == ']'
  if whole and errn and errn < MAX_ERRORS_KEPT then
    -- the common case: fewer entries than the cap, so appending to the string is enough (no JSON decoding)
    errs = string.sub(errs, 1, -2) .. ',' .. errJson .. ']'
    errn = errn + 1
  elseif whole then
    -- at the cap (or a record from before `errn` existed): decode, keep the newest entries, append
    local ok, list = pcall(cjson.decode, errs)
    if ok and type(list) == 'table' then
      local parts = {}
      for i = math.max(1, #list - MAX_ERRORS_KEPT + 2), #list do parts[#parts + 1] = cjson.encode(list[i]) end
      parts[#parts + 1] = errJson
      errs = '[' .. table.concat(parts, ',') .. ']'
      errn = math.max(errn or 0, #list) + 1
    else
      errs = '[' .. errJson .. ']'
      errn = (errn or 0) + 1
    end
  else
    errs = '[' .. errJson .. ']'
    errn = (errn or 0) + 1
  end
  redis.call('HSET', jk, 'error', errJson, 'errors', errs, 'errn', errn)
end
