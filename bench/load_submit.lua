-- wrk script: POST /api/v1/articles/ with a unique URL per request (thread id + counter), API token from
-- TOKEN, origin from ORIGIN (an address the fetch policy allows); counts responses by status.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local status_counts = require("status_counts")
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  status_counts.track(thread)
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

response = status_counts.response
done = status_counts.done
