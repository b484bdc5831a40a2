// Waiting room: the live place in the queue over a WebSocket, and the call when admitted.
// The page shows the place as it was when loaded; this script keeps it current, tells the
// citizen when it is their turn (sound, title, notification) and opens the call. Sentences
// come from the page (<template id="waiting-texts">), in the page's language.
(function () {
  "use strict";
  const room = document.querySelector("[data-waiting-room]");
  const textTemplate = document.getElementById("waiting-texts");
  if (!room || !textTemplate || !("WebSocket" in window)) return;

  const el = {
    position: room.querySelector("[data-position]"),
    waiting: room.querySelector("[data-waiting]"),
    estimate: room.querySelector("[data-estimate]"),
    announce: room.querySelector("[data-announce]"),
    closesBefore: room.querySelector("[data-closes-before]"),
    admitted: room.querySelector("[data-admitted]"),
    admittedTemplate: room.querySelector("template[data-admitted-text]"),
    notify: room.querySelector("[data-notify]"),
    notifyHint: room.querySelector("[data-notify-hint]"),
  };
  const texts = {};
  textTemplate.content.querySelectorAll("[data-text]").forEach(function (node) {
    texts[node.dataset.text] = node.textContent.trim();
  });

  // 4403: not this browser's knock; 4410: the knock is over (reload shows how it ended).
  const FINAL_CODES = [4403, 4410];
  const PING_MS = 20000;
  const MAX_BACKOFF_MS = 15000;
  const GO_TO_CALL_MS = 1500;

  let officeName = room.dataset.office;
  let socket = null;
  let pinger = 0;
  let retries = 0;
  let lastPosition = null;
  let lastClosesBefore = !el.closesBefore.hidden;
  let finished = false;

  function text(key, values) {
    return (texts[key] || "").replace(/\{(\w+)\}/g, function (match, name) {
      return values && name in values ? String(values[name]) : match;
    });
  }

  function plural(base, n) {
    return text(base + (n === 1 ? "_one" : "_many"), { n: n });
  }

  function announce(sentence) {
    el.announce.textContent = sentence;
  }

  // -- the place in line -----------------------------------------------------------------

  function showPosition(message) {
    const position = message.position;
    const positionText =
      position === 1 ? text("position_first") : text("position", { position: position });
    el.position.textContent = positionText;
    el.waiting.textContent = plural("waiting", message.waiting);
    const minutes = message.estimated_wait_minutes;
    el.estimate.textContent = minutes ? plural("estimate", minutes) : text("estimate_zero");
    // Screen readers hear the place when it changes, not every time someone joins behind.
    if (position !== lastPosition) {
      if (lastPosition !== null) announce(positionText + " " + el.estimate.textContent);
      lastPosition = position;
    }
    showClosesBefore(Boolean(message.closes_before));
  }

  function showClosesBefore(closesBefore) {
    el.closesBefore.hidden = !closesBefore;
    if (closesBefore && !lastClosesBefore) announce(text("closes_before"));
    lastClosesBefore = closesBefore;
  }

  // -- admitted --------------------------------------------------------------------------

  function admitted(callUrl) {
    finished = true;
    document.title = text("title_admitted", { office: officeName });
    chime();
    notify();
    el.admitted.replaceChildren(el.admittedTemplate.content.cloneNode(true));
    el.admitted.querySelector("[data-call-link]").href = callUrl;
    el.admitted.hidden = false;
    announce(text("admitted"));
    window.setTimeout(function () { window.location.assign(callUrl); }, GO_TO_CALL_MS);
  }

  // A short two-tone chime from an oscillator: no sound file to load or to fail.
  function chime() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      const context = new Context();
      const gain = context.createGain();
      gain.connect(context.destination);
      gain.gain.setValueAtTime(0.2, context.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.9);
      [660, 880].forEach(function (frequency, index) {
        const tone = context.createOscillator();
        tone.frequency.value = frequency;
        tone.connect(gain);
        tone.start(context.currentTime + index * 0.25);
        tone.stop(context.currentTime + 0.9);
      });
      window.setTimeout(function () { context.close(); }, 1200);
    } catch (error) {
      // Autoplay rules may forbid sound before any click: title and notification remain.
    }
  }

  function notify() {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      new Notification(text("notification_title"), {
        body: text("notification_body", { office: officeName }),
      });
    } catch (error) {
      // Some mobile browsers only notify from a service worker: the page says it anyway.
    }
  }

  function offerNotifications() {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    el.notify.hidden = false;
    el.notifyHint.hidden = false;
    el.notify.addEventListener("click", function () {
      Notification.requestPermission().then(function (permission) {
        el.notify.hidden = true;
        announce(text(permission === "granted" ? "notify_on" : "notify_off"));
      });
    });
  }

  // -- the socket ------------------------------------------------------------------------

  function handle(message) {
    switch (message.type) {
      case "position":
        showPosition(message);
        break;
      case "admitted":
        admitted(message.call_url);
        break;
      case "transferred":
        officeName = message.office || officeName;
        announce(text("transferred", { office: officeName }));
        // The page names the office: load it afresh once the message was heard.
        window.setTimeout(function () { window.location.reload(); }, 4000);
        break;
      case "declined":
      case "ended":
        finished = true;
        window.location.reload();
        break;
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(scheme + "//" + window.location.host + room.dataset.socket);
    socket.addEventListener("open", function () {
      if (retries > 0) announce(text("reconnected"));
      retries = 0;
      pinger = window.setInterval(function () { send({ type: "ping" }); }, PING_MS);
    });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message && typeof message.type === "string") handle(message);
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(pinger);
      if (finished) return;
      if (FINAL_CODES.includes(event.code)) {
        window.location.reload();
        return;
      }
      // The server restarted or the network dropped: the place is kept for the grace
      // period, so try again: 1, 2, 4, 8, 15, 15 … seconds.
      if (retries === 0) announce(text("reconnecting"));
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** retries);
      retries += 1;
      window.setTimeout(connect, delay);
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  offerNotifications();
  connect();
})();
