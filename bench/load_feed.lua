-- wrk script: GET the verdict feed with an API token (TOKEN env), counting responses by status.
-- Run by bench/load_test.py; by hand: TOKEN=... wrk -t2 -c16 -d15s --latency -s bench/load_feed.lua URL
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local status_counts = require("status_counts")

function setup(thread)
  status_counts.track(thread)
end

function init(args)
  wrk.headers["Authorization"] = "Token " .. os.getenv("TOKEN")
  wrk.headers["Host"] = "127.0.0.1"
  statuses = {}
end

response = status_counts.response
done = status_counts.done
