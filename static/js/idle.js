// Two minutes before an idle login ends, says so (#idle-warning, role="alert") with a "Stay signed in"
// button that pings the keepalive endpoint. The timeout, the address and the texts come from the page
// (data attributes and a <template>), as the Content-Security-Policy allows no inline script.
(function () {
  var WARN_BEFORE = 2 * 60 * 1000;
  var SERVER_SLACK = 90 * 1000;  // the server ends the session up to a minute after the timeout
  var BACKGROUND_HEADER = "X-Checkup-Background";  // checkup/web.py reads it

  function start() {
    var box = document.getElementById("idle-warning");
    var content = document.getElementById("idle-warning-content");
    if (!box || !content) { return; }
    var idle = parseInt(box.dataset.idleSeconds, 10) * 1000;
    if (!(idle > WARN_BEFORE)) { return; }
    var warnTimer = null;
    var endTimer = null;

    function reload() {
      // the login has ended: reloading takes the page's data off the screen (the sign-in page says why)
      window.location.assign(window.location.href);
    }

    function schedule() {
      window.clearTimeout(warnTimer);
      window.clearTimeout(endTimer);
      box.replaceChildren();
      warnTimer = window.setTimeout(warn, idle - WARN_BEFORE);
      endTimer = window.setTimeout(reload, idle + SERVER_SLACK);
    }

    function warn() {
      box.replaceChildren(content.content.cloneNode(true));
      box.querySelector("button").addEventListener("click", stay);
    }

    function stay() {
      window.fetch(box.dataset.keepaliveUrl, {
        method: "POST", credentials: "same-origin", redirect: "manual",
        headers: { "X-CSRFToken": box.dataset.csrfToken }
      }).then(function (response) {
        if (response.status === 204) { schedule(); } else { reload(); }
      }, function () { /* offline: the notice stays, the button can be pressed again */ });
    }

    // A part of the page refreshing itself on a timer (hx-trigger="every …") is not somebody at the
    // keyboard: the server is told so (it leaves the idle time running) and the warning is not put off.
    // Every other htmx request (a click, a form, a search) counts as activity, here and on the server.
    document.body.addEventListener("htmx:configRequest", function (event) {
      if (!event.detail.triggeringEvent) { event.detail.headers[BACKGROUND_HEADER] = "1"; }
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var config = event.detail.requestConfig;
      if (config && config.triggeringEvent) { schedule(); }
    });
    schedule();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
