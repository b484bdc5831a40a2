// The caseworker's dashboard of the video office: the queue updates itself. Each message
// on the dashboard socket (someone arrived, left, was admitted …) re-fetches the queue
// fragment from the server, which stays the only truth; an arrival is announced in the
// live region, optionally with a sound, and the tab title counts the people waiting:
// "(2) Video-Sprechstunde". Without JavaScript the page works with its reload link and
// plain forms. While the caseworker is typing in the queue (a decline message), the
// refresh waits until they leave it, so nothing typed is lost.
(function () {
  "use strict";
  const container = document.getElementById("warteschlange");
  if (!container || !("WebSocket" in window) || !window.fetch) return;

  const announceRegion = document.querySelector("[data-queue-announce]");
  const liveNote = document.querySelector("[data-queue-live-note]");
  const soundOption = document.querySelector("[data-queue-sound-option]");
  const soundBox = document.querySelector("[data-queue-sound]");
  const SOUND_KEY = "videooffice.dashboard.sound";
  const FINAL_CODES = [4401, 4403]; // not (or no longer) allowed: reconnecting will not help
  const MAX_DELAY = 15000;
  const baseTitle = document.title;
  let delay = 1000;
  let pending = false;
  let fetching = false;

  if (soundOption && soundBox) {
    soundOption.hidden = false;
    soundBox.checked = window.localStorage.getItem(SOUND_KEY) === "1";
    soundBox.addEventListener("change", function () {
      window.localStorage.setItem(SOUND_KEY, soundBox.checked ? "1" : "0");
    });
  }

  function officeName(slug) {
    const section = container.querySelector('[data-office-slug="' + CSS.escape(slug) + '"]');
    return section ? section.dataset.officeName : slug;
  }

  function announce(text) {
    if (!announceRegion) return;
    // Emptied first: the same sentence twice in a row is announced twice.
    announceRegion.textContent = "";
    window.setTimeout(function () { announceRegion.textContent = text; }, 50);
  }

  function chime() {
    if (!soundBox || !soundBox.checked) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const audio = new Context();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.4);
    tone.addEventListener("ended", function () { audio.close(); });
  }

  function showCount() {
    const holder = container.querySelector("[data-waiting-total]");
    const total = holder ? Number(holder.dataset.waitingTotal) || 0 : 0;
    document.title = total > 0 ? "(" + total + ") " + baseTitle : baseTitle;
  }

  function busy() {
    // Focus inside the queue (a button, a textarea): replacing it would move the
    // caseworker's place on the page, or throw away what they typed.
    return container.contains(document.activeElement) && document.activeElement !== container;
  }

  function refresh() {
    if (busy()) { pending = true; return; }
    if (fetching) { pending = true; return; }
    pending = false;
    fetching = true;
    fetch(container.dataset.queueUrl, {
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      cache: "no-store",
    })
      .then(function (response) {
        // Logged out meanwhile (the staff login answers instead): show the real page.
        if (!response.ok || response.redirected) { window.location.reload(); return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        if (busy()) { pending = true; return; }
        container.innerHTML = html;
        showCount();
      })
      .catch(function () { pending = true; })
      .finally(function () {
        fetching = false;
        if (pending && !busy()) window.setTimeout(refresh, 500);
      });
  }

  container.addEventListener("focusout", function () {
    window.setTimeout(function () { if (pending && !busy()) refresh(); }, 200);
  });

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(scheme + "//" + window.location.host + container.dataset.queueSocket);
    socket.addEventListener("open", function () {
      delay = 1000;
      if (liveNote) liveNote.hidden = false;
      refresh(); // whatever happened while the socket was down
    });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (!message || !message.event) return;
      if (message.event === "arrived") {
        announce(container.dataset.announceArrived.replace("%(office)s", officeName(message.office)));
        chime();
      }
      refresh();
    });
    socket.addEventListener("close", function (event) {
      if (liveNote) liveNote.hidden = true;
      if (FINAL_CODES.includes(event.code)) return;
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_DELAY);
    });
  }

  showCount();
  connect();
})();
