--[[
  removeWorker: takes a worker's entry out of its queue's registry (the worker is closing).

  KEYS: 1 workers (ZSET)  2 worker:<id> (HASH)
  ARGV: 1 worker id
  Returns: 1 if the entry was there, 0 otherwise
]]
redis.call('DEL', KEYS[2])
return redis.call('ZREM', KEYS[1], ARGV[1])
