// Live pages of the walk-in queue (ticket status, call display). The socket says that
// something changed; the page fetches its block again from data-fragment, rendered by the
// server in the page's language, and says the new sentence in the live region. Without a
// socket (network hiccup, proxy without WebSockets) it reconnects with backoff and polls
// the fragment meanwhile, so the page is never more than POLL_MS behind. A socket that
// answers no ping for PONG_MS, or the browser going offline, counts as lost.
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
  const PING_MS = 20000;
  const PONG_MS = 10000;
  let socket = null;
  let reconnectTimer = 0;
  let pinger = 0;
  let pongTimer = 0;
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

  // A socket whose network has gone often stays "open" for minutes (no packet tells it
  // otherwise), and the display would miss calls meanwhile. So the page pings (the
  // consumer answers "pong") and gives a socket up that stays silent, or at once when the
  // browser reports that it is offline.
  function giveUp(current) {
    if (current !== socket) return;
    socket = null;
    clearInterval(pinger);
    clearTimeout(pongTimer);
    try { current.close(); } catch (error) { /* closing a dead socket may throw */ }
    startPolling();
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, retries)) * (0.5 + Math.random() / 2);
    retries += 1;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function connect() {
    if (!("WebSocket" in window)) { startPolling(); return; }
    clearTimeout(reconnectTimer);
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const current = new WebSocket(scheme + window.location.host + root.dataset.socket);
    socket = current;
    current.addEventListener("open", function () {
      if (current !== socket) return;
      retries = 0;
      stopPolling();
      clearInterval(pinger);
      pinger = setInterval(function () {
        current.send('{"type":"ping"}');
        clearTimeout(pongTimer);
        pongTimer = setTimeout(function () { giveUp(current); }, PONG_MS);
      }, PING_MS);
    });
    current.addEventListener("message", function (event) {
      if (current !== socket) return; // given up: its successor reads the state
      clearTimeout(pongTimer); // any message shows the socket is alive
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
    current.addEventListener("close", function (event) {
      if (current !== socket) return;
      if (event.code === FINAL_CODE) { socket = null; clearInterval(pinger); return; }
      giveUp(current);
    });
  }

  window.addEventListener("offline", function () { if (socket) giveUp(socket); });
  // The network is back: connect now instead of waiting for the backoff (up to 30 s); the
  // new socket's first message makes the page read what it missed.
  window.addEventListener("online", function () {
    if (!("WebSocket" in window)) { refresh(false); return; }
    if (socket && socket.readyState === WebSocket.OPEN) { refresh(false); return; }
    if (socket && socket.readyState === WebSocket.CONNECTING) return;
    retries = 0;
    connect();
  });

  // With JavaScript the live region says what changed; the noscript refresh is not needed.
  connect();
})();
