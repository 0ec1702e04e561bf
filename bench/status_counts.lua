-- Shared by the wrk scripts bench/load_*.lua: counts the responses of every thread by status and prints them
-- as one line `STATUSES {"200": n, ...}` at the end, which bench/load_test.py reads.
-- Each script puts its own folder on package.path, loads it with require, sets the global `statuses = {}` in
-- init, calls status_counts.track(thread) in setup and uses status_counts.response and .done as its own.
local status_counts = {}
local threads = {}

function status_counts.track(thread)
  table.insert(threads, thread)
end

function status_counts.response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function status_counts.done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write("STATUSES {" .. table.concat(parts, ", ") .. "}\n")
end

return status_counts
