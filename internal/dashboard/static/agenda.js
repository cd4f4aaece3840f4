// Tidings agenda grid (day and week views): small enhancements. Every page works without
// this file: an appointment opens to its actions and its Move link leads to the move form,
// and a free start is a link to the booking form.
//
//   - The grid opens scrolled to the current time, and keeps its scroll position when htmx
//     swaps it after a status button.
//   - One appointment is open at a time; Escape or a click elsewhere closes it. Opening one
//     loads its actions (status buttons, Move, Cancel): its panel, fetched in place.
//   - Moving by dragging: an appointment that may be moved (data-move) is dragged with a
//     mouse or pen onto a free cell or a bookable start (data-start); the drop shows the
//     grid's confirmation form (.ag-drop), which posts the same move form as the move page
//     (version, agenda_id, slot, next). Nothing moves until the user confirms. Touch
//     screens keep scrolling: they move with the Move link.
(function () {
  "use strict";

  function scrollerOf(el) {
    return el && el.querySelector(".ag-scroll");
  }

  // Open at the current time (a third of the way down) when the grid holds today and it is
  // working time somewhere; else at the first working hour.
  function reveal(root) {
    var scroll = scrollerOf(root);
    if (!scroll) {
      return;
    }
    var base = scroll.getBoundingClientRect().top - scroll.scrollTop;
    var top = function (el) { return el.getBoundingClientRect().top - base; };
    var bottom = function (el) { return el.getBoundingClientRect().bottom - base; };
    var open = Array.prototype.slice.call(root.querySelectorAll("section.ag-col .ag-open"));
    var now = root.querySelector(".ag-now");
    var head = root.querySelector(".ag-head");
    var offset = head ? head.offsetHeight : 0;
    if (now && open.some(function (o) { return top(o) <= top(now) && top(now) <= bottom(o); })) {
      scroll.scrollTop = Math.max(0, top(now) - offset - scroll.clientHeight / 3);
      return;
    }
    if (open.length) {
      var first = Math.min.apply(null, open.map(top));
      scroll.scrollTop = Math.max(0, first - offset - 24);
    }
  }

  function init() {
    var root = document.querySelector(".ag");
    if (root) {
      reveal(root);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }

  var kept = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var s = scrollerOf(document);
    kept = s ? { top: s.scrollTop, left: s.scrollLeft } : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    var s = scrollerOf(document);
    if (s && kept) {
      s.scrollTop = kept.top;
      s.scrollLeft = kept.left;
    }
    kept = null;
  });

  // One open appointment at a time; opening one loads its actions in place.
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!(d instanceof HTMLDetailsElement) || !d.classList.contains("ag-appt") || !d.open) {
      return;
    }
    document.querySelectorAll("details.ag-appt[open]").forEach(function (o) {
      if (o !== d) {
        o.open = false;
      }
    });
    loadActions(d);
  }, true);

  // The actions of an appointment (status buttons, Move, Cancel) come with its panel
  // (GET /agenda/appointments/{id}), fetched into the block; its forms return to the link's
  // href, the grid with the appointment opened. The link stays a plain link to that page
  // when anything fails.
  function loadActions(d) {
    var link = d.querySelector("a[data-actions]");
    if (!link || d.agLoading) {
      return;
    }
    d.agLoading = true;
    var url = "/agenda/appointments/" + encodeURIComponent(d.getAttribute("data-appointment-id")) +
      "?next=" + encodeURIComponent(link.getAttribute("href").split("#")[0]) +
      (d.closest(".ag-week") ? "&view=week" : "");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (!r.ok || r.redirected) {
          throw new Error("status " + r.status);
        }
        return r.text();
      })
      .then(function (text) {
        var pop = new DOMParser().parseFromString(text, "text/html").querySelector(".ag-pop");
        var old = d.querySelector(".ag-pop");
        if (!pop || !old) {
          throw new Error("no panel");
        }
        var node = document.importNode(pop, true);
        old.replaceWith(node);
        if (window.htmx) {
          window.htmx.process(node);
        }
      })
      .catch(function () {})
      .then(function () {
        d.agLoading = false;
      });
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("details.ag-appt a[data-actions]");
    if (link && e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
      e.preventDefault();
      loadActions(link.closest("details"));
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") {
      return;
    }
    if (drag && drag.on) {
      endDrag(null);
      return;
    }
    var form = document.querySelector(".ag-drop:not([hidden])");
    if (form) {
      closeDrop(form);
      return;
    }
    var open = document.querySelector("details.ag-appt[open]");
    if (open) {
      open.open = false;
      open.querySelector("summary").focus();
    }
  });
  document.addEventListener("click", function (e) {
    if (suppressClick) {
      suppressClick = false;
      e.preventDefault();
      e.stopPropagation();
      return;
    }
    if (!e.target.closest("details.ag-appt")) {
      document.querySelectorAll("details.ag-appt[open]").forEach(function (o) {
        o.open = false;
      });
    }
  }, true);

  // Dragging.
  var drag = null;
  var suppressClick = false;

  function setTarget(t) {
    if (drag.target === t) {
      return;
    }
    if (drag.target) {
      drag.target.classList.remove("ag-target");
    }
    drag.target = t;
    if (t) {
      t.classList.add("ag-target");
    }
  }

  function endDrag(target) {
    var d = drag;
    drag = null;
    document.body.classList.remove("ag-drag");
    d.appt.classList.remove("ag-dragging");
    if (d.target && d.target !== target) {
      d.target.classList.remove("ag-target");
    }
    if (target) {
      confirmMove(d.appt, target);
    }
  }

  document.addEventListener("pointerdown", function (e) {
    if (e.button !== 0 || e.pointerType === "touch" || drag) {
      return;
    }
    var sum = e.target.closest(".ag-appt[data-move] > summary");
    if (!sum) {
      return;
    }
    drag = { appt: sum.parentElement, x: e.clientX, y: e.clientY, on: false, target: null };
  });

  document.addEventListener("pointermove", function (e) {
    if (!drag) {
      return;
    }
    if (!drag.on) {
      if (Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 6) {
        return;
      }
      drag.on = true;
      drag.appt.open = false;
      drag.appt.classList.add("ag-dragging");
      document.body.classList.add("ag-drag");
    }
    e.preventDefault();
    var scroll = drag.appt.closest(".ag-scroll");
    if (scroll) {
      var r = scroll.getBoundingClientRect();
      if (e.clientY < r.top + 40) {
        scroll.scrollTop -= 16;
      } else if (e.clientY > r.bottom - 24) {
        scroll.scrollTop += 16;
      }
    }
    var el = document.elementFromPoint(e.clientX, e.clientY);
    var t = el && el.closest(".ag-cell[data-start], .ag-slot[data-start]");
    if (t && t.closest(".ag") !== drag.appt.closest(".ag")) {
      t = null;
    }
    setTarget(t);
  });

  document.addEventListener("pointerup", function () {
    if (!drag) {
      return;
    }
    if (!drag.on) {
      drag = null; // a click: the summary opens the appointment
      return;
    }
    suppressClick = true;
    setTimeout(function () { suppressClick = false; }, 0);
    endDrag(drag.target);
  });
  document.addEventListener("pointercancel", function () {
    if (drag) {
      endDrag(null);
    }
  });

  // The confirmation: the grid's move form, filled for this appointment and this time.
  function confirmMove(appt, target) {
    var root = appt.closest(".ag");
    var form = root && root.querySelector(".ag-drop");
    var col = target.closest(".ag-col");
    if (!form || !col) {
      target.classList.remove("ag-target");
      return;
    }
    form.action = "/appointments/" + appt.getAttribute("data-appointment-id") + "/move";
    form.elements.version.value = appt.getAttribute("data-version");
    form.elements.slot.value = target.getAttribute("data-start");
    form.elements.agenda_id.value = col.getAttribute("data-agenda-id");
    var heading = col.querySelector("h2 a") || col.querySelector("h2");
    var where = (heading ? heading.textContent.trim() + " " : "") + target.getAttribute("data-label");
    var text = form.getAttribute("data-text")
      .replace("{0}", appt.querySelector("summary .ag-t").textContent + " " + appt.querySelector("summary .ag-p").textContent)
      .replace("{1}", where);
    form.querySelector(".ag-drop-text").textContent = text;
    form.agTarget = target;
    form.agAppt = appt;
    form.hidden = false;
    form.querySelector("[data-drop=confirm]").focus();
  }

  function closeDrop(form) {
    form.hidden = true;
    if (form.agTarget) {
      form.agTarget.classList.remove("ag-target");
    }
    if (form.agAppt) {
      form.agAppt.querySelector("summary").focus();
    }
    form.agTarget = form.agAppt = null;
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest(".ag-drop [data-drop=cancel]");
    if (b) {
      closeDrop(b.form);
    }
  });
})();
