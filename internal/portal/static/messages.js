// Secure messages (MSG-4): keeps the patient's open message pages current. It listens to
// the "tidings:event" events that /rt/events.js dispatches from the page's stream. On a
// conversation's page (#thread): a new message is fetched as HTML from the portal and
// appended, then marked read while the page is in view; the clinic's read receipts (and
// its answers: their author read what came before) turn "Sent" into "Read"; a closed, reopened or handed-over conversation reloads the page. On
// the list (#conversations): the list is read again.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  var list = document.getElementById("conversations");
  if (!thread && !list) { return; }

  if (list) {
    var listBusy = false, listAgain = false;
    var refresh = function () {
      if (listBusy) { listAgain = true; return; }
      listBusy = true;
      fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) { if (!res.ok) { throw new Error(String(res.status)); } return res.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("conversations");
          if (fresh) { list.innerHTML = fresh.innerHTML; }
        })
        .catch(function () {})
        .then(function () { listBusy = false; if (listAgain) { listAgain = false; refresh(); } });
    };
    document.body.addEventListener("tidings:event", refresh);
    return;
  }

  var base = thread.getAttribute("data-base");
  var id = thread.getAttribute("data-conversation");
  var items = document.getElementById("messages");
  var last = parseInt(thread.getAttribute("data-last"), 10) || 0;
  var unread = 0; // the last message shown but not yet marked read
  var busy = false, again = false;

  function markRead() {
    if (!unread || document.visibilityState === "hidden") { return; }
    var upTo = unread;
    unread = 0;
    fetch(base + "/messages/" + id + "/read", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "up_to=" + encodeURIComponent(String(upTo))
    }).catch(function () { unread = Math.max(unread, upTo); });
  }

  function fetchNew() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(base + "/messages/" + id + "/after/" + last, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) { if (!res.ok) { throw new Error(String(res.status)); } return res.text(); })
      .then(function (html) {
        var ol = new DOMParser().parseFromString("<ol>" + html + "</ol>", "text/html").querySelector("ol");
        var got = ol ? ol.children : [];
        Array.prototype.slice.call(got).forEach(function (li) {
          var n = parseInt(li.getAttribute("data-message"), 10) || 0;
          if (n <= last || document.getElementById("message-" + n)) { return; }
          items.appendChild(document.importNode(li, true));
          last = n;
          unread = n;
          // The clinic's answer: its author read what came before it.
          if (!/\b(mine|system)\b/.test(li.className)) { receipts(n); }
        });
        thread.setAttribute("data-last", String(last));
        markRead();
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; fetchNew(); } });
  }

  function receipts(upTo) {
    var label = thread.getAttribute("data-read-label") || "";
    Array.prototype.forEach.call(thread.querySelectorAll('[data-receipt="sent"]'), function (p) {
      if ((parseInt(p.getAttribute("data-message"), 10) || 0) <= upTo) {
        p.setAttribute("data-receipt", "read");
        p.textContent = label;
      }
    });
  }

  document.body.addEventListener("tidings:event", function (e) {
    var d = e.detail || {};
    if (String(d.conversation) !== id) { return; }
    if (d.kind === "message") { fetchNew(); }
    else if (d.kind === "read") { if (String(d.reader || "").indexOf("user:") === 0) { receipts(d.message || 0); } }
    else if (d.kind === "closed" || d.kind === "reopened" || d.kind === "handover") { location.reload(); }
  });
  document.addEventListener("visibilitychange", markRead);
})();
