-- A job's hash. BASE ("<prefix>:{<queue>}:") is set by the script, cut from one of its KEYS and never passed in ARGV,
-- so every key built from it is in the hash slot of the keys the script declared.
local function jobKey(id)
  return BASE .. 'job:' .. id
end
