// Organiser pages: tell the server the viewer's zone (days in charts and date filters begin there),
// and confirm actions that touch many rows. Times themselves are localised by ultrathon.js.
(function () {
  "use strict";
  var zone = null;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { zone = null; }
  // IANA names (Europe/Paris, America/Argentina/Buenos_Aires) are cookie-safe as they are.
  if (zone && /^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    var current = (document.cookie.match(/(?:^|; )tz=([^;]*)/) || [])[1];
    if (current !== zone) {
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
    }
  }
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
