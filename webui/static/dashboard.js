// Keeps the dashboard live: asks the box for its status every second and
// redraws the tables. Plain DOM calls and textContent only, so nothing a caller
// sends as a name can become markup.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var live = document.getElementById("live");
  if (!live) {
    return;
  }
  var statusUrl = live.dataset.statusUrl;
  var loginUrl = live.dataset.loginUrl;

  function mss(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) {
      return "\u2013";
    }
    var whole = Math.max(0, Math.floor(seconds));
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function orDash(value) {
    return value === null || value === undefined || value === "" ? "\u2013" : String(value);
  }

  function cell(text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    return td;
  }

  function fill(id, items, makeCells) {
    var body = document.getElementById(id);
    var rows = items.map(function (item) {
      var tr = document.createElement("tr");
      makeCells(item).forEach(function (td) { tr.appendChild(td); });
      return tr;
    });
    body.replaceChildren.apply(body, rows);
  }

  function show(id, visible) {
    document.getElementById(id).hidden = !visible;
  }

  function render(status) {
    show("daemon-down", false);
    show("daemon-info", true);
    document.getElementById("info-version").textContent = status.version;
    document.getElementById("info-uptime").textContent = mss(status.uptime);
    document.getElementById("info-backend").textContent = status.backend;
    document.getElementById("info-country").textContent = status.country;

    var errors = status.config_errors || [];
    show("config-errors-section", errors.length > 0);
    var list = document.getElementById("config-errors");
    list.replaceChildren.apply(list, errors.map(function (message) {
      var li = document.createElement("li");
      li.textContent = message;
      return li;
    }));

    fill("lines", status.ports || [], function (port) {
      return [cell(port.name), cell(String(port.kind).toUpperCase()), cell(port.state),
              cell(orDash(port.alarm), port.alarm ? "bad" : ""), cell(orDash(port.call_id))];
    });
    var calls = status.calls || [];
    fill("calls", calls, function (call) {
      var caller = call.caller_number || "unknown";
      if (call.caller_name) {
        caller += " (" + call.caller_name + ")";
      }
      return [cell(caller), cell(call.port), cell(call.state), cell(orDash(call.queue)),
              cell(orDash(call.agent)), cell(mss(call.duration))];
    });
    show("no-calls", calls.length === 0);
    fill("queues", status.queues || [], function (queue) {
      return [cell(queue.name), cell(String(queue.waiting)), cell(mss(queue.longest_wait)),
              cell(String(queue.agents_available)), cell(String(queue.agents_logged_in))];
    });
    fill("agents", status.agents || [], function (agent) {
      var state = cell("");
      var badge = document.createElement("span");
      badge.className = "state state-" + agent.state;
      badge.textContent = agent.state;
      state.appendChild(badge);
      var since = agent.since === null || agent.since === undefined
        ? null : status.uptime - agent.since;
      return [cell(agent.name), cell(agent.extension), cell(agent.port), state,
              cell(mss(since)), cell(String(agent.calls_taken))];
    });
  }

  function renderDown(problem) {
    document.getElementById("daemon-problem").textContent =
      typeof problem === "string" && problem ? "(" + problem + ")" : "";
    show("daemon-down", true);
    show("daemon-info", false);
    show("config-errors-section", false);
    ["lines", "calls", "queues", "agents"].forEach(function (id) {
      var body = document.getElementById(id);
      body.replaceChildren();
    });
    show("no-calls", true);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          var next = encodeURIComponent(window.location.pathname);
          window.location.assign(loginUrl + "?next=" + next);
          return null;
        }
        if (!response.ok) {
          // 503 is the plain "not running"; anything else carries its reason.
          return response.json().then(function (body) {
            renderDown(response.status === 503 ? "" : body.error);
          }, function () { renderDown(""); });
        }
        return response.json().then(render);
      })
      .catch(function () { renderDown(""); })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  window.setTimeout(poll, POLL_MS);
})();
