// Tidings template editor: the preview follows the text as one types. The form works
// without this file (its Preview button posts the whole page); here its fields are posted
// to the same preview route, asking for the fragment only, and the answer replaces the
// preview section. The answer is HTML the server rendered and escaped; it is parsed into a
// detached document, so nothing in it runs.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  if (!form || !window.fetch || !window.DOMParser) {
    return;
  }
  var url = form.getAttribute("data-preview");
  var timer = null;
  var pending = null;

  function refresh() {
    if (pending) {
      pending.abort();
    }
    pending = window.AbortController ? new AbortController() : null;
    var body = new URLSearchParams(new FormData(form));
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      signal: pending ? pending.signal : undefined
    }).then(function (res) {
      // 422 carries the problems of the text, shown in place of the preview.
      if (!res.ok && res.status !== 422) {
        throw new Error("preview: HTTP " + res.status);
      }
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("preview");
      var old = document.getElementById("preview");
      if (fresh && old) {
        old.replaceWith(document.importNode(fresh, true));
      }
    }).catch(function () {
      // Keep the last preview; the Preview button still works.
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
