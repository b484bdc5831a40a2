// The kiosk: a touch screen in the customer centre's hall that shows the kiosk page all day.
// Without JavaScript it is a plain form (each press a POST, the ticket page after it). With
// it, the kiosk survives a network that comes and goes:
//
// - A press is sent with fetch under a key of its own (draw_key, a UUID). When the network
//   fails, the request times out or the server answers 5xx, the same press is sent again
//   every few seconds with the same key; the server answers a key it has seen with the
//   ticket it drew (services.ticket_draw), so a lost answer never gives a second ticket.
//   Tapping again meanwhile sends the same press at once. After GIVE_UP_MS the press is
//   dropped with a message to go to the reception: the ticket must not appear much later
//   in front of the next person.
// - The answer (the ticket page, or the form with its errors) replaces the page's content
//   in place, so nothing depends on one more request succeeding.
// - The page checks its connection every CHECK_MS and on the browser's online/offline
//   events and says "Keine Verbindung – bitte wenden Sie sich an den Empfang" (role=alert)
//   while it is down; the message goes away by itself when the network is back.
// - The ticket page goes back to the start after data-seconds (or "Fertig"), but only once
//   the start page answers: a kiosk never ends on the browser's error page.
(function () {
  "use strict";
  const CHECK_MS = 20000;
  const RETRY_MS = 3000;
  const TIMEOUT_MS = 8000;
  const GIVE_UP_MS = 120000;
  const main = document.getElementById("inhalt");
  let pending = null; // the press being sent: {body, started, timer}
  let shown = ""; // which message the alert region holds
  let returnTimer = 0;
  let returning = false;

  function find(selector) { return main.querySelector(selector); }
  function startUrl() {
    const box = find("[data-kiosk-start]");
    return box ? box.dataset.kioskStart : window.location.pathname;
  }

  // crypto.randomUUID exists only on https pages; a kiosk in the local network may use http.
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function request(url, options) {
    const abort = new AbortController();
    const timer = setTimeout(function () { abort.abort(); }, TIMEOUT_MS);
    options = Object.assign({ cache: "no-store", credentials: "same-origin", signal: abort.signal }, options);
    return fetch(url, options).finally(function () { clearTimeout(timer); });
  }

  function say(name) {
    const region = find("[data-kiosk-alert]");
    if (!region || shown === name) return;
    shown = name;
    const text = name && find('template[data-kiosk-text="' + name + '"]');
    region.innerHTML = text ? text.innerHTML : "";
  }

  function busy(on) {
    const status = find("[data-kiosk-busy]");
    const text = find('template[data-kiosk-text="busy"]');
    if (status) status.textContent = on && text ? text.innerHTML.trim() : "";
    main.querySelectorAll("button[name=group]").forEach(function (button) {
      if (on) button.setAttribute("aria-disabled", "true");
      else button.removeAttribute("aria-disabled");
    });
  }

  // Connection check: the start page, without its body.
  function check() {
    return request(startUrl(), { method: "HEAD" })
      .then(function (response) { return response.status < 500; })
      .catch(function () { return false; })
      .then(function (up) {
        if (pending) return up;
        if (!up) say(shown === "failed" ? "failed" : "offline");
        else if (shown) say("");
        return up;
      });
  }

  // Put the server's answer in place of the page's content, as if the browser had gone there.
  function show(html, url) {
    const page = new DOMParser().parseFromString(html, "text/html");
    const content = page.getElementById("inhalt");
    if (!content) throw new Error("not a kiosk page");
    pending = null;
    shown = "";
    main.innerHTML = content.innerHTML;
    document.title = page.title;
    if (url) window.history.replaceState(null, "", url);
    setUp();
    const focus = find(".error-summary") || find("h1");
    if (focus) focus.focus();
  }

  function send() {
    const press = pending;
    if (!press) return;
    clearTimeout(press.timer);
    request(press.url, { method: "POST", body: press.body, headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status >= 500) throw new Error("server " + response.status);
        return response.text().then(function (html) { if (pending === press) show(html, response.url); });
      })
      .catch(function () {
        if (pending !== press) return;
        if (Date.now() - press.started > GIVE_UP_MS) {
          pending = null;
          busy(false);
          say("failed");
          return;
        }
        say("retrying");
        press.timer = setTimeout(send, RETRY_MS);
      });
  }

  function onSubmit(event) {
    const button = event.submitter;
    if (!button || button.name !== "group") return; // anything else: the plain form
    event.preventDefault();
    if (pending) { send(); return; } // tapped again: the same press, at once
    const form = event.target;
    const body = new FormData(form);
    body.set("group", button.value);
    body.set("draw_key", newKey());
    pending = { url: form.action, body: body, started: Date.now(), timer: 0 };
    busy(true);
    send();
  }

  // Enter in the mobile number field would press the first button (group A): move on to
  // the buttons instead, so that a keyboard user chooses the group.
  function onKeydown(event) {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    const first = find("button[name=group]");
    if (!first) return;
    event.preventDefault();
    first.focus();
  }

  function goStart() {
    if (returning) return;
    returning = true;
    check().then(function (up) {
      returning = false;
      if (up) window.location.assign(startUrl());
      else setTimeout(goStart, RETRY_MS);
    });
  }

  function armReturn() {
    const box = find("[data-kiosk-return]");
    clearTimeout(returnTimer);
    if (!box) return;
    const seconds = parseInt(box.dataset.seconds, 10) || 45;
    returnTimer = setTimeout(goStart, seconds * 1000);
  }

  function setUp() {
    const form = find("form.ticket-kiosk__form");
    if (form) {
      form.addEventListener("submit", onSubmit);
      form.addEventListener("keydown", onKeydown);
    }
    const done = find("[data-kiosk-done]");
    if (done) done.addEventListener("click", function (event) { event.preventDefault(); goStart(); });
    armReturn();
  }

  // Any touch or key on the ticket page restarts its countdown.
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, function () { if (find("[data-kiosk-return]")) armReturn(); });
  });
  window.addEventListener("offline", function () { if (pending) say("retrying"); else say("offline"); });
  window.addEventListener("online", function () { if (pending) send(); else check(); });
  setInterval(check, CHECK_MS);
  setUp();
})();
