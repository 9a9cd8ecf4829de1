-- The pending list of a priority (K.high, K.normal, K.low set by the script); an unknown priority is normal.
local function pendingKey(pri)
  if pri == 'high' then return K.high elseif pri == 'low' then return K.low end
  return K.normal
end
