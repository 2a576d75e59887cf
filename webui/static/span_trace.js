// Keeps a span's D-channel trace growing on the page while it runs: asks for
// the lines after those already shown, once a second. textContent only, so a
// number sent by the far end can never become markup.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var pre = document.getElementById("trace");
  if (!pre || pre.dataset.running !== "yes") {
    return;
  }
  var shown = parseInt(pre.dataset.count, 10) || 0;

  function poll() {
    fetch(pre.dataset.traceUrl + "?since=" + shown, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.lines) {
          return;
        }
        data.lines.forEach(function (line) {
          pre.appendChild(document.createTextNode(line + "\n"));
        });
        shown += data.lines.length;
        if (data.running) {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 5); });
  }

  window.setTimeout(poll, POLL_MS);
})();
