// Kiosk: after showing the number, back to the start page for the next person (the
// "Fertig" button does the same at once). Any touch or key restarts the countdown.
(function () {
  "use strict";
  const box = document.querySelector("[data-kiosk-return]");
  if (!box) return;
  const seconds = parseInt(box.dataset.seconds, 10) || 45;
  let timer = 0;
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(function () { window.location.assign(box.dataset.kioskReturn); }, seconds * 1000);
  }
  ["pointerdown", "keydown"].forEach(function (name) { document.addEventListener(name, arm); });
  arm();
})();
