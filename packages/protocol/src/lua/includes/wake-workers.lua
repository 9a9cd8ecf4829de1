-- Wakes one idle worker (BZPOPMIN on K.marker) because ready work exists.
local function wakeWorkers()
  redis.call('ZADD', K.marker, 0, '0')
end

-- Tells idle workers that a job is due at `at`, if that is earlier than what they were told before.
local function wakeAt(at)
  redis.call('ZADD', K.marker, 'LT', at, 'd')
end
