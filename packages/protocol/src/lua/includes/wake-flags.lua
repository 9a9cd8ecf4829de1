-- Set by the helpers that move jobs when a job became pending (`ready`) or failed (`failed`), so the script wakes an
-- idle worker and applies retention once, at its end.
local WAKE = { ready = false, failed = false }
