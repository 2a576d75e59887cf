// Fills in the simulated head count of each hour on the capacity page, one
// hour at a time, so the box simulates one hour per request and the page is
// readable (with Erlang C) from the start. textContent only.
(function () {
  "use strict";

  var cells = Array.prototype.slice.call(document.querySelectorAll("td[data-hour-url]"));

  function show(cell, body) {
    var text = String(body.agents);
    if (body.service_level !== null && body.service_level !== undefined) {
      text += " (" + (body.service_level * 100).toFixed(1) + " %)";
    }
    if (!body.reached) {
      text += " \u2013 target not reached";
    }
    cell.textContent = text;
  }

  function next() {
    var cell = cells.shift();
    if (!cell) {
      return;
    }
    fetch(cell.dataset.hourUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok) {
            show(cell, body);
          } else {
            cell.textContent = body.error || "could not simulate";
          }
        });
      })
      .catch(function () { cell.textContent = "could not simulate"; })
      .then(next);
  }

  next();
})();
