-- wrk script: GET the verdict feed with an API token (TOKEN env), counting responses by status.
-- Run by bench/load_test.py; by hand: TOKEN=... wrk -t2 -c16 -d15s --latency -s bench/load_feed.lua URL
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Authorization"] = "Token " .. os.getenv("TOKEN")
  wrk.headers["Host"] = "127.0.0.1"
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
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
