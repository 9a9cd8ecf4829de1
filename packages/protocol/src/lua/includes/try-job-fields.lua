-- HMGET of a job's fields that never fails the script: nil when the job key holds another type (written by
-- something other than tq). A plain HMGET would fail the whole call, and every later call for that id with it.
local function tryJobFields(jk, ...)
  local f = redis.pcall('HMGET', jk, ...)
  if f.err then return nil end
  return f
end
