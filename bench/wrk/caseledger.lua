-- wrk script of bench/http_load.sh: case reads or case appends against
-- `caseledger serve`, spread round robin over the benchmark's cases (each wrk
-- thread starts at a different case). Configured by the environment:
--   CL_MODE   history  GET /v1/cases/{case}/history?purpose=casework
--             case     GET /v1/cases/{case}?purpose=casework
--             append   POST /v1/cases/{case}/events (a concern.responded)
--   CL_TOKEN  the caseworker's bearer token
--   CL_CASES  the case ids, comma-separated
-- Every case read appends a durable access.read record before it answers, so
-- a read is also a write. done() prints the status codes seen ("status <code>
-- <count>"), which the script checks next to wrk's own error counts.

local mode = os.getenv("CL_MODE") or "history"
local token = os.getenv("CL_TOKEN") or error("CL_TOKEN is not set")
local cases = {}
for c in string.gmatch(os.getenv("CL_CASES") or "", "[^,]+") do
  cases[#cases + 1] = c
end
if #cases == 0 then error("CL_CASES is not set") end

local append_body =
  '{"type":"concern.responded","h":{"channel":"phone"},"body":{"note":"synthetic"}}'

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local i = 0
statuses = {}

function init(args)
  i = (thread_id or 0) * 7
end

function request()
  i = i + 1
  local c = cases[(i % #cases) + 1]
  if mode == "append" then
    return wrk.format("POST", "/v1/cases/" .. c .. "/events", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
    }, append_body)
  elseif mode == "case" then
    return wrk.format("GET", "/v1/cases/" .. c .. "?purpose=casework",
                      { ["Authorization"] = "Bearer " .. token })
  else
    return wrk.format("GET", "/v1/cases/" .. c .. "/history?purpose=casework",
                      { ["Authorization"] = "Bearer " .. token })
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\n", code, n))
  end
end
