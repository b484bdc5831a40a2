// Live pages of the walk-in queue (ticket status, call display). The socket says that
// something changed; the page fetches its block again from data-fragment, rendered by the
// server in the page's language, and says the new sentence in the live region. Without a
// socket (network hiccup, proxy without WebSockets) it reconnects with backoff and polls
// the fragment meanwhile, so the page is never more than POLL_MS behind.
(function () {
  "use strict";
  const root = document.querySelector("[data-live]");
  if (!root) return;
  const block = root.querySelector("[data-live-block]");
  const say = root.querySelector("[data-live-say]");
  const offline = root.querySelector("[data-offline]");
  const callText = root.querySelector("template[data-call-text]");
  const soundButton = root.querySelector("[data-sound-on]");
  const FINAL_CODE = 4404;
  const POLL_MS = 15000;
  const MAX_BACKOFF_MS = 30000;
  let retries = 0;
  let poller = 0;
  let lastSaid = "";
  let audio = null;

  function announce(sentence) {
    sentence = (sentence || "").replace(/\s+/g, " ").trim();
    if (!sentence || sentence === lastSaid) return;
    lastSaid = sentence;
    say.textContent = sentence;
  }

  function refresh(quiet) {
    return fetch(root.dataset.fragment, { headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        block.innerHTML = html;
        const sentence = block.querySelector("[data-say]");
        if (sentence && !quiet) announce(sentence.textContent);
        else if (sentence) lastSaid = sentence.textContent.replace(/\s+/g, " ").trim();
      })
      .catch(function () { /* the next change or poll tries again */ });
  }

  // A gong from two sine tones (Web Audio; no sound file). Browsers allow sound only after
  // a user gesture: the display has a "Ton einschalten" button for the first start.
  function gong() {
    if (!audio) return;
    const now = audio.currentTime;
    [[660, 0], [523, 0.45]].forEach(function (tone) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, now + tone[1]);
      gain.gain.exponentialRampToValueAtTime(0.4, now + tone[1] + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + tone[1] + 1.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + tone[1]);
      osc.stop(now + tone[1] + 1.3);
    });
  }
  if (soundButton) {
    soundButton.addEventListener("click", function () {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      audio.resume();
      gong();
      soundButton.hidden = true;
    });
  }

  function startPolling() {
    if (!poller) poller = setInterval(function () { refresh(false); }, POLL_MS);
    if (offline) offline.hidden = false;
  }

  function stopPolling() {
    clearInterval(poller);
    poller = 0;
    if (offline) offline.hidden = true;
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + root.dataset.socket);
    socket.addEventListener("open", function () { retries = 0; stopPolling(); });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "changed") {
        refresh(false);
      } else if (message.type === "called") {
        refresh(true).then(function () {
          if (callText) {
            announce(callText.innerHTML.replace("{display}", message.display).replace("{counter}", message.counter) + (message.call_count > 1 ? " " : ""));
            lastSaid = ""; // the same number called again is said again
          }
          gong();
        });
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === FINAL_CODE) return;
      startPolling();
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
      retries += 1;
      setTimeout(connect, delay);
    });
  }

  // With JavaScript the live region says what changed; the noscript refresh is not needed.
  connect();
})();
