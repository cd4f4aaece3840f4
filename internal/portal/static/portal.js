// Push opt-in (the preferences page): registers the portal's service worker, subscribes
// with the server's VAPID key and sends the subscription to the portal. Nothing else runs
// on the portal's pages.
(function () {
  var button = document.getElementById("push-on");
  if (!button) { return; }
  var status = document.getElementById("push-status");
  function say(key) { status.textContent = button.getAttribute("data-" + key) || ""; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    button.disabled = true;
    say("unsupported");
    return;
  }
  function key(b64) {
    var pad = "=".repeat((4 - (b64.length % 4)) % 4);
    var raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  button.addEventListener("click", function () {
    var base = button.getAttribute("data-base");
    button.disabled = true;
    say("working");
    navigator.serviceWorker.register(base + "/sw.js", { scope: base + "/" })
      .then(function (reg) { return navigator.serviceWorker.ready.then(function () { return reg; }); })
      .then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(button.getAttribute("data-key")) });
      })
      .then(function (sub) {
        return fetch(base + "/push", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(sub), credentials: "same-origin" });
      })
      .then(function (res) {
        if (!res.ok) { throw new Error("refused"); }
        say("done");
      })
      .catch(function () { button.disabled = false; say("failed"); });
  });
})();
