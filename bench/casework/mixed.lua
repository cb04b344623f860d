-- wrk script for the case service benchmark (driven by run_bench.py; see README.md).
--
-- run_bench.py starts wrk with one thread per connection (-t N -c N), so each Lua state below belongs to exactly
-- one keep-alive connection, whose requests and responses strictly alternate: the state machine walk below is
-- one client's, like the Python fallback's coroutine.
--
-- Arguments after "--": the mode ("health" or "mixed") and then user=token pairs.
-- mixed: 25 % transitions (walk the own case round the loop with its optimistic-lock version, then report a new
-- one), 20 % case detail, 20 % /tasks for a random role, 20 % case search, 15 % change-feed pages of 100.
-- Every mixed request carries a bearer token. done() prints one line "BENCH_JSON {...}" for run_bench.py.

local GRID = "140602001001001"
local LOOP = {
  {"operator", "accept"}, {"leader", "register"}, {"dispatcher", "dispatch"}, {"water", "handle"},
  {"water", "feedback"}, {"supervisor", "check"}, {"leader", "close"},
}
local TASK_USERS = {"operator", "leader", "dispatcher", "water"}

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  mode = args[1] or "mixed"
  auth = {}
  for i = 2, #args do
    local user, token = args[i]:match("^([^=]+)=(.+)$")
    if user then auth[user] = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"} end
  end
  math.randomseed(tid * 7919 + 17)
  case_id, version, step = nil, nil, 0
  cursor = 0
  kind = nil
  counts = {}
  failures = {}
end

local function transition()
  if case_id == nil or step > #LOOP then
    kind = "report"
    local body = string.format(
      '{"kind":"component","subclass_code":"01001","grid_code":"%s","lat":%.6f,"lon":%.6f}',
      GRID, 39.33 + math.random() / 100, 112.43 + math.random() / 100)
    return wrk.format("POST", "/cases", auth["supervisor"], body)
  end
  local user, action = LOOP[step][1], LOOP[step][2]
  kind = "transition"
  local body = string.format('{"action":"%s","expected_version":%d}', action, version)
  return wrk.format("POST", "/cases/" .. case_id .. "/transitions", auth[user], body)
end

function request()
  if mode == "health" then
    kind = "health"
    return wrk.format("GET", "/health")
  end
  local roll = math.random()
  if roll < 0.25 then
    return transition()
  elseif roll < 0.45 and case_id ~= nil then
    kind = "case"
    return wrk.format("GET", "/cases/" .. case_id, auth["evaluator"])
  elseif roll < 0.65 then
    kind = "tasks"
    return wrk.format("GET", "/tasks?limit=20", auth[TASK_USERS[math.random(#TASK_USERS)]])
  elseif roll < 0.85 then
    kind = "search"
    return wrk.format("GET", "/cases?status=dispatched&limit=20", auth["evaluator"])
  end
  kind = "feed"
  return wrk.format("GET", "/events?after=" .. cursor .. "&limit=100", auth["evaluator"])
end

-- The case id and version are the first two fields of the "case" object in POST /cases and transition bodies.
local CASE_PATTERN = '"case":%s*{%s*"id":%s*(%d+),%s*"version":%s*(%d+)'

function response(status, headers, body)
  local k = kind or "unknown"
  counts[k] = (counts[k] or 0) + 1
  if status >= 400 then
    failures[k .. " " .. status] = (failures[k .. " " .. status] or 0) + 1
    return
  end
  if k == "report" and status == 201 then
    local id, v = body:match(CASE_PATTERN)
    if id then case_id, version, step = id, tonumber(v), 1 end
  elseif k == "transition" and status == 200 then
    local _, v = body:match(CASE_PATTERN)
    if v then version, step = tonumber(v), step + 1 end
  elseif k == "feed" and status == 200 then
    local c = body:match('"next_cursor":%s*(%d+)')
    if c then cursor = c end
  end
end

local function json_table(t)
  local parts = {}
  for key, value in pairs(t) do table.insert(parts, string.format('"%s":%d', key, value)) end
  table.sort(parts)
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local mix, failed = {}, {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("counts") or {}) do mix[key] = (mix[key] or 0) + value end
    for key, value in pairs(thread:get("failures") or {}) do failed[key] = (failed[key] or 0) + value end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"mix":%s,"failures":%s}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    json_table(mix), json_table(failed)))
end
