-- wrk script: POST /api/v1/articles/ with a unique URL per request (thread id + counter), API token from
-- TOKEN, origin from ORIGIN (an address the fetch policy allows); counts responses by status.
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Token " .. os.getenv("TOKEN")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Host"] = "127.0.0.1"
  origin = os.getenv("ORIGIN")
  run = os.getenv("RUN")
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local body = string.format('{"url": "%s/load/%s/%d/%d"}', origin, run, thread_id, counter)
  return wrk.format(nil, nil, nil, body)
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
