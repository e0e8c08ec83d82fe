// Milepost's serve -live: reload the page when the site's content changes.
// Served only in that mode (no reader's page ever loads it). The server's
// event stream says which version of the content it serves, on connecting
// and after each reload; a version other than the one this page was shown
// with means the page is stale. The stream is closed while the tab is
// hidden, so that open tabs do not hold all of the browser's connections
// to the site, and opened again when it shows.
"use strict";
(function () {
  var events = new URL("../_live/events", document.currentScript.src);
  var shown = null; // the content version this page was shown with
  var source = null;

  function connect() {
    if (source) return;
    source = new EventSource(events);
    source.addEventListener("version", function (e) {
      if (shown === null) {
        shown = e.data;
      } else if (e.data !== shown) {
        location.reload();
      }
    });
  }

  function disconnect() {
    if (source) {
      source.close();
      source = null;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      disconnect();
    } else {
      connect();
    }
  });
  if (document.visibilityState !== "hidden") connect();
})();
