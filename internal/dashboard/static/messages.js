// Tidings dashboard: secure messages follow their conversations live. The shared client
// (/rt/events.js) holds one stream per browser and dispatches a "tidings:event" on
// document.body for each event ({id, kind, conversation, clinic, message?, reader?}); this
// file reads what changed through the pages' own addresses, which decide what the viewer
// may see. Every page works without it: a reload shows the same.
(function () {
  "use strict";
  var root = document.querySelector("[data-messaging]");
  if (!root || !window.htmx) {
    return;
  }

  function on(handler) {
    document.body.addEventListener("tidings:event", function (e) {
      handler(e.detail || {});
    });
  }

  // The inbox: read the list again when a conversation of its clinic changes, or one is
  // handed over (perhaps away from it), or the viewer read one elsewhere (its unread count);
  // a short pause gathers a burst of events.
  if (root.getAttribute("data-messaging") === "inbox") {
    var timer = null;
    var clinic = root.getAttribute("data-clinic-id");
    var reader = root.getAttribute("data-reader");
    on(function (d) {
      if (d.kind === "read" ? d.reader !== reader : String(d.clinic) !== clinic && d.kind !== "handover") {
        return;
      }
      clearTimeout(timer);
      timer = setTimeout(function () {
        htmx.ajax("GET", location.pathname + location.search, {
          target: "#conversation-list", select: "#conversation-list", swap: "outerHTML"
        });
      }, 250);
    });
    return;
  }

  // A conversation: append the messages that came, mark them read once the viewer sees
  // them, show the patient's read receipts, and say when the conversation changed.
  var id = root.getAttribute("data-conversation-id");
  var list = document.getElementById("message-list");
  var busy = false;
  var again = false;
  var readUpTo = lastID();

  function lastID() {
    return Number(root.getAttribute("data-last-message-id")) || 0;
  }

  function markRead() {
    var n = lastID();
    if (document.visibilityState !== "visible" || n <= readUpTo) {
      return;
    }
    readUpTo = n;
    htmx.ajax("POST", "/messages/" + id + "/read", {values: {up_to: String(n)}, swap: "none"});
  }

  function fetchNew() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    htmx.ajax("GET", "/messages/" + id + "/after/" + lastID(), {target: list, swap: "beforeend"}).then(function () {
      // One item per message, whatever arrived twice; the newest is where the next read starts.
      var seen = {};
      var max = lastID();
      list.querySelectorAll("[data-message-id]").forEach(function (li) {
        var m = li.getAttribute("data-message-id");
        if (seen[m]) {
          li.remove();
          return;
        }
        seen[m] = true;
        max = Math.max(max, Number(m));
      });
      root.setAttribute("data-last-message-id", String(max));
      var empty = document.getElementById("no-messages");
      if (empty && max > 0) {
        empty.hidden = true;
      }
      markRead();
    }).finally(function () {
      busy = false;
      if (again) {
        again = false;
        fetchNew();
      }
    });
  }

  function receipts(upTo) {
    list.querySelectorAll('[data-author="staff"]').forEach(function (li) {
      if (Number(li.getAttribute("data-message-id")) <= upTo) {
        var r = li.querySelector("[data-receipt]");
        if (r) {
          r.hidden = false;
        }
      }
    });
  }

  on(function (d) {
    if (String(d.conversation) !== id) {
      return;
    }
    switch (d.kind) {
    case "message":
      fetchNew();
      break;
    case "read":
      if (typeof d.reader === "string" && d.reader.indexOf("patient:") === 0) {
        receipts(Number(d.message) || 0);
      }
      break;
    default:
      // Closed, reopened, assigned, handed over: the actions shown may be stale.
      var note = document.getElementById("conversation-changed");
      if (note) {
        note.hidden = false;
      }
    }
  });
  document.addEventListener("visibilitychange", markRead);
})();
