// Milepost's serve -live: reload the page when the site's content changes.
// Served only in that mode (no reader's page ever loads it). The page says
// which version of the content it was rendered from (data-version on this
// script's tag); the server's event stream says which it serves, on
// connecting and after each reload. Any other version than the page's
// means the page is stale — a change saved while the page loaded
// included. The stream is closed while the tab is
// hidden, so that open tabs do not hold all of the browser's connections
// to the site, and opened again when it shows.
"use strict";
(function () {
  var events = new URL("../_live/events", document.currentScript.src);
  // The content version this page was shown with; a theme whose layout
  // does not say takes the first the stream names.
  var shown = document.currentScript.dataset.version || null;
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
