// Tidings portal settings: the Book button's preview. The Content-Security-Policy forbids
// inline styles, so the server puts the button's style in data-css and this file sets it
// through the CSSOM, which the policy allows. The preview follows the size and colour as
// one changes them: htmx asks GET /settings/portal/button for the preview block (the form's
// hx-get), and the new block is styled here once it is in the page. Without this file the
// preview shows the size only; the code to copy is right either way.
(function () {
  "use strict";
  function style(root) {
    var links = (root || document).querySelectorAll("a.book-preview[data-css]");
    for (var i = 0; i < links.length; i++) {
      links[i].style.cssText = links[i].getAttribute("data-css");
    }
  }
  style(document);
  document.addEventListener("htmx:afterSettle", function () {
    style(document);
  });
  // The code is selected as a whole when focused, ready to copy.
  document.addEventListener("focusin", function (e) {
    if (e.target instanceof HTMLTextAreaElement && e.target.classList.contains("embed-code")) {
      e.target.select();
    }
  });
})();
