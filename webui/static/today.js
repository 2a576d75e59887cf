// The dashboard's "Today so far" panel: asks the box for today's figures per
// queue every 10 seconds and redraws the table. textContent only.
(function () {
  "use strict";

  var POLL_MS = 10000;
  var panel = document.getElementById("today");
  if (!panel) {
    return;
  }
  var url = panel.dataset.todayUrl;

  function percent(value) {
    return value === null || value === undefined ? "\u2013" : (value * 100).toFixed(1) + " %";
  }

  function mss(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) {
      return "\u2013";
    }
    var whole = Math.max(0, Math.floor(seconds));
    var rest = whole % 60;
    return Math.floor(whole / 60) + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function cell(text) {
    var td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function render(body) {
    var rows = (body.queues || []).map(function (queue) {
      var tr = document.createElement("tr");
      [queue.name, String(queue.offered), String(queue.answered), String(queue.abandoned),
       percent(queue.service_level), mss(queue.asa)].forEach(function (text) {
        tr.appendChild(cell(text));
      });
      return tr;
    });
    var tbody = document.getElementById("today-queues");
    tbody.replaceChildren.apply(tbody, rows);
    var empty = document.getElementById("today-empty");
    empty.textContent = "No queues are set up yet.";
    empty.hidden = rows.length > 0;
    document.getElementById("today-problem").hidden = true;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json().then(render);
      })
      .catch(function () { document.getElementById("today-problem").hidden = false; })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  poll();
})();
