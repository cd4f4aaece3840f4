// The portal's service worker: shows the clinic's push notifications (title and body as
// the notification engine sent them, no clinical content) and opens the portal on a click.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  event.waitUntil(self.registration.showNotification(data.title || "", { body: data.body || "", tag: "tidings-" + (data.n || "") }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(self.registration.scope));
});
