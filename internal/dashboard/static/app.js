// Tidings dashboard: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The clinic switcher submits itself when a clinic is picked; its button stays
  // in the page (visually hidden) for keyboard and screen-reader users.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el instanceof HTMLSelectElement && el.hasAttribute("data-autosubmit") && el.form) {
      if (el.form.requestSubmit) {
        el.form.requestSubmit();
      } else {
        el.form.submit();
      }
    }
  });

  // An expired session answers an htmx request with the sign-in page: go there
  // rather than swapping it into the results.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var xhr = e.detail && e.detail.xhr;
    if (!xhr || !xhr.responseURL) {
      return;
    }
    var url = new URL(xhr.responseURL);
    if (url.origin === location.origin && url.pathname === "/login") {
      e.detail.shouldSwap = false;
      location.assign(url.pathname + url.search);
    }
  });

  // Any other error: submit the form the plain way, which shows the full error page.
  document.addEventListener("htmx:responseError", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt instanceof HTMLFormElement) {
      elt.submit();
    }
  });
})();
