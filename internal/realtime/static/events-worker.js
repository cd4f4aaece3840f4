// Tidings' message events, shared by every tab of this browser (MSG-4): one EventSource per
// stream URL (its "after" parameter aside), whatever the number of tabs, so the seventh tab
// does not wait for one of HTTP/1.1's six connections per origin. Each tab joins with the
// stream's URL and the last event id its page shows; it gets, once and in order, every event
// after that id: from the events this worker keeps, else by reopening the stream from there.
// EventSource's own reconnect sends Last-Event-ID, so a server restart loses nothing; when
// the browser gives up (an error answer), the worker reopens after the last id it got.
"use strict";
var KINDS = ["message", "read", "closed", "reopened", "assigned", "handover"];
var KEEP = 500; // events kept per stream for tabs that join later
var streams = {}; // key -> stream

function keyOf(url) {
  var u = new URL(url, self.location.href);
  u.searchParams.delete("after");
  return u.href;
}

function post(t, msg) {
  try { t.port.postMessage(msg); } catch (e) { /* a closed tab */ }
}

function tell(s, state) {
  s.state = state;
  s.tabs.forEach(function (t) { post(t, { type: "state", key: s.key, state: state }); });
}

// deliver hands event e to tab t unless it has it already.
function deliver(s, t, e) {
  if (e.id <= t.last) { return; }
  t.last = e.id;
  post(t, { type: "event", key: s.key, id: e.id, kind: e.kind, data: e.data });
}

// keep files e among the kept events, in id order, once; dropping the oldest moves the
// point from which the kept events are complete.
function keep(s, e) {
  var b = s.kept, i = b.length;
  while (i > 0 && b[i - 1].id > e.id) { i--; }
  if (i > 0 && b[i - 1].id === e.id) { return; }
  b.splice(i, 0, e);
  while (b.length > KEEP) { s.from = b.shift().id; }
}

// behind is where to resume so that no tab misses an event: the least id they all have.
function behind(s) {
  return s.tabs.reduce(function (m, t) { return Math.min(m, t.last); }, s.last);
}

function open(s, after) {
  if (s.es) { s.es.close(); }
  clearTimeout(s.timer);
  var u = new URL(s.key);
  u.searchParams.set("after", String(after));
  var es = new EventSource(u.href);
  s.es = es;
  var on = function (ev) {
    if (s.es !== es) { return; }
    var id = parseInt(ev.lastEventId, 10);
    if (!(id > 0)) { return; }
    var e = { id: id, kind: ev.type, data: ev.data };
    keep(s, e);
    s.last = Math.max(s.last, id);
    s.tabs.forEach(function (t) { deliver(s, t, e); });
  };
  KINDS.forEach(function (k) { es.addEventListener(k, on); });
  es.onopen = function () {
    if (s.es !== es) { return; }
    s.wait = 1000;
    tell(s, "open");
  };
  es.onerror = function () {
    if (s.es !== es) { return; }
    if (es.readyState !== EventSource.CLOSED) { tell(s, "connecting"); return; }
    // The browser gave up (an error answer, not a lost connection): try again later, from
    // the last event received.
    tell(s, "closed");
    s.timer = setTimeout(function () { if (s.es === es && s.tabs.length) { open(s, behind(s)); } }, s.wait);
    s.wait = Math.min(s.wait * 2, 30000);
  };
}

function join(port, url, after) {
  var key = keyOf(url);
  after = Math.max(0, parseInt(after, 10) || 0);
  leave(port);
  var s = streams[key];
  var t = { port: port, last: after };
  if (!s) {
    s = streams[key] = { key: key, tabs: [t], kept: [], from: after, last: after, wait: 1000, state: "connecting" };
    open(s, after);
    return;
  }
  s.tabs.push(t);
  post(t, { type: "state", key: key, state: s.state });
  if (after < s.from) {
    // The tab's page is older than what is kept: reopen from its id (the replay brings it
    // everything in order; handing it the kept events first would move it past the ones
    // in between). The other tabs skip what they already have.
    s.from = after;
    open(s, after);
    return;
  }
  s.kept.forEach(function (e) { deliver(s, t, e); });
}

function leave(port) {
  Object.keys(streams).forEach(function (key) {
    var s = streams[key];
    s.tabs = s.tabs.filter(function (t) { return t.port !== port; });
    if (!s.tabs.length) {
      clearTimeout(s.timer);
      if (s.es) { s.es.close(); }
      delete streams[key];
    }
  });
}

self.onconnect = function (c) {
  var port = c.ports[0];
  port.onmessage = function (m) {
    var d = m.data || {};
    if (d.type === "join" && typeof d.url === "string") { join(port, d.url, d.after); }
    else if (d.type === "leave") { leave(port); }
  };
  port.start();
};
