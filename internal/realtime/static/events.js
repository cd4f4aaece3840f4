// Tidings' message events on a page (MSG-4). A page that follows them carries an element
// with data-events-url (its stream, with ?after= the last event id the page shows) and
// loads this script; every event then reaches document.body as
//
//   new CustomEvent("tidings:event", {detail: {id, kind, conversation, clinic, message?, reader?}})
//
// once each and in order, kind being "message", "read", "closed", "reopened", "assigned" or
// "handover". The element's data-events-state says "connecting", "open" or "closed".
//
// All tabs of a browser share one stream per URL through a SharedWorker
// (events-worker.js); where there is none, the page opens its own EventSource. Either way
// a reconnect resumes after the last event received (Last-Event-ID), so a server restart
// loses nothing. No inline script, no dependency.
(function () {
  "use strict";
  var el = document.querySelector("[data-events-url]");
  var script = document.currentScript;
  if (!el || !window.EventSource || !window.URL || !window.CustomEvent) { return; }
  var KINDS = ["message", "read", "closed", "reopened", "assigned", "handover"];
  var url = new URL(el.getAttribute("data-events-url"), location.href);
  var last = Math.max(0, parseInt(url.searchParams.get("after"), 10) || 0);
  url.searchParams.delete("after");
  var key = url.href;

  function state(s) { el.setAttribute("data-events-state", s); }

  function dispatch(id, data) {
    if (!(id > last)) { return; }
    last = id;
    var detail;
    try { detail = JSON.parse(data); } catch (e) { return; }
    document.body.dispatchEvent(new CustomEvent("tidings:event", { detail: detail }));
  }

  function at(after) {
    var u = new URL(key);
    u.searchParams.set("after", String(after));
    return u.href;
  }

  // direct is the page's own EventSource, for browsers without SharedWorker.
  function direct() {
    var es, timer, wait = 1000;
    function open() {
      clearTimeout(timer);
      if (es) { es.close(); }
      var mine = es = new EventSource(at(last));
      var on = function (ev) { dispatch(parseInt(ev.lastEventId, 10), ev.data); };
      KINDS.forEach(function (k) { mine.addEventListener(k, on); });
      mine.onopen = function () { wait = 1000; state("open"); };
      mine.onerror = function () {
        if (mine !== es) { return; }
        if (mine.readyState !== EventSource.CLOSED) { state("connecting"); return; }
        state("closed");
        timer = setTimeout(open, wait);
        wait = Math.min(wait * 2, 30000);
      };
    }
    state("connecting");
    open();
    window.addEventListener("pagehide", function () { clearTimeout(timer); if (es) { es.close(); es = null; } });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { open(); } });
  }

  // shared joins the stream held by the browser's SharedWorker; false when there is none.
  function shared() {
    if (!window.SharedWorker || !script || !script.src) { return false; }
    var src = new URL(script.src);
    src.pathname = src.pathname.replace(/events\.js$/, "events-worker.js");
    var w;
    try { w = new SharedWorker(src.href, { name: "tidings-events" }); } catch (e) { return false; }
    var fell = false;
    w.onerror = function () { if (!fell) { fell = true; direct(); } };
    w.port.onmessage = function (m) {
      var d = m.data || {};
      if (fell || d.key !== key) { return; }
      if (d.type === "event") { dispatch(d.id, d.data); } else if (d.type === "state") { state(d.state); }
    };
    w.port.start();
    var join = function () { w.port.postMessage({ type: "join", url: at(last), after: last }); };
    state("connecting");
    join();
    window.addEventListener("pagehide", function () { w.port.postMessage({ type: "leave" }); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) { join(); } });
    return true;
  }

  if (!shared()) { direct(); }
})();
