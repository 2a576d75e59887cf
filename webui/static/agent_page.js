// Keeps the agent's page live: asks for the agent's state and screen pop every
// second. The state is updated in place (textContent only, so nothing a caller
// sends can become markup); when a call starts ringing, is answered or ends,
// the page reloads so the screen pop and the disposition form come from the
// server, drawn once, the same way as on the first load.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var live = document.getElementById("agent-live");
  if (!live) {
    return;
  }
  var liveUrl = live.dataset.liveUrl;
  var loginUrl = live.dataset.loginUrl;
  var shownCall = live.dataset.callId || "";
  var shownState = live.dataset.callState || "";

  function choosing() {
    // Never pull the page from under an agent who is picking a disposition.
    var active = document.activeElement;
    return active && (active.tagName === "SELECT" || active.tagName === "INPUT");
  }

  function render(data) {
    document.getElementById("daemon-down").hidden = data.running;
    var state = data.state || "unknown";
    var badge = document.getElementById("agent-state");
    badge.textContent = state;
    badge.className = "state state-" + state;
    document.getElementById("agent-reason").textContent = data.reason ? "(" + data.reason + ")" : "";
    var call = data.pop ? data.pop.call_id : "";
    var callState = data.pop ? data.pop.state : "";
    if ((call !== shownCall || callState !== shownState) && !choosing()) {
      window.location.reload();
    }
  }

  function poll() {
    fetch(liveUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.assign(loginUrl);
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data) {
          render(data);
        }
      })
      .catch(function () { /* the box is restarting: try again at the next tick */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  window.setTimeout(poll, POLL_MS);
})();
