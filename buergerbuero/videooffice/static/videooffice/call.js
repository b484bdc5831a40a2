// The video call, for both sides (citizen and caseworker): WebRTC peer to peer, signaling
// over our WebSocket (ws/video/anruf/<call>/?token=…), chat and document sending.
//
// Negotiation follows the "perfect negotiation" pattern (W3C WebRTC, MDN): either side may
// make an offer whenever its tracks change; when two offers cross, the polite side (the
// citizen) gives way and the impolite one (the caseworker) wins. The first offer comes from
// the caseworker as soon as both are present, so nothing is sent into an empty room.
//
// When the signaling socket drops, the page fetches a fresh one-time ticket and reconnects
// with backoff. A side that comes back (reconnected socket or reloaded page) may hold a
// different peer connection than before, so both sides start a fresh one and negotiate
// anew; a network change without a socket drop only needs an ICE restart.
//
// Sentences come from the page (<template id="call-texts">), in the page's language.
(function () {
  "use strict";
  const root = document.querySelector("[data-video-call]");
  const configNode = document.getElementById("call-config");
  if (!root || !configNode) return;
  const config = JSON.parse(configNode.textContent);
  const polite = config.role === "citizen";

  const el = {
    status: root.querySelector("[data-call-status]"),
    note: root.querySelector("[data-media-note]"),
    remoteVideo: root.querySelector("[data-remote-video]"),
    placeholder: root.querySelector("[data-remote-placeholder]"),
    remoteMuted: root.querySelector("[data-remote-muted]"),
    localVideo: root.querySelector("[data-local-video]"),
    toggles: {
      audio: root.querySelector('[data-toggle="audio"]'),
      video: root.querySelector('[data-toggle="video"]'),
      screen: root.querySelector('[data-toggle="screen"]'),
    },
    hangup: root.querySelector("[data-hangup]"),
    chatLog: root.querySelector("[data-chat-log]"),
    chatForm: root.querySelector("[data-chat-form]"),
    chatInput: root.querySelector("[data-chat-input]"),
    documentForm: root.querySelector("[data-document-form]"),
    documentResult: root.querySelector("[data-document-result]"),
  };
  const texts = {};
  document.getElementById("call-texts").content.querySelectorAll("[data-text]").forEach(
    function (node) { texts[node.dataset.text] = node.textContent.trim(); }
  );

  const PING_MS = 20000;
  const MAX_BACKOFF_MS = 15000;
  const DISCONNECTED_GRACE_MS = 5000;
  const FINAL_CODE = 4410; // the call is over

  const state = {
    pc: null,
    remoteStream: null,
    socket: null,
    token: config.token,
    ice: config.ice,
    outgoing: new MediaStream(), // our tracks, sent under one stream id
    audioTrack: null,
    cameraTrack: null,
    screenTrack: null,
    makingOffer: false,
    ignoreOffer: false,
    settingRemoteAnswer: false,
    remoteSeen: false, // a description from the peer arrived on this peer connection
    peerPresent: false,
    peerSeen: false,
    welcomed: false,
    retries: 0,
    pinger: 0,
    reconnectTimer: 0,
    disconnectTimer: 0,
    closing: false,
    inbox: Promise.resolve(), // signaling messages are handled one after the other
  };

  function text(key, values) {
    return (texts[key] || key).replace(/\{(\w+)\}/g, function (match, name) {
      return values && name in values ? String(values[name]) : match;
    });
  }

  function setStatus(key, values) {
    el.status.textContent = text(key, values);
  }

  // Lasting notes about our own media (camera failed, sharing the screen): kept apart from
  // the status line, which changes with every step of the connection.
  function setNote(key) {
    el.note.textContent = text(key);
  }

  // -- local media -----------------------------------------------------------------------

  // Camera and microphone as the mode asks; when the camera fails, sound only; when the
  // microphone fails too, the chat remains. The citizen is told which.
  async function startMedia() {
    if (config.mode === "text" || !navigator.mediaDevices) return;
    const wantVideo = config.mode === "video";
    try {
      useStream(await navigator.mediaDevices.getUserMedia({ audio: true, video: wantVideo }));
    } catch (error) {
      if (error.name === "NotAllowedError") {
        setNote("media_denied");
      } else if (wantVideo) {
        try {
          useStream(await navigator.mediaDevices.getUserMedia({ audio: true }));
          setNote("media_failed_video");
        } catch (second) {
          setNote("media_failed_audio");
        }
      } else {
        setNote("media_failed_audio");
      }
    }
  }

  function useStream(stream) {
    state.audioTrack = stream.getAudioTracks()[0] || null;
    state.cameraTrack = stream.getVideoTracks()[0] || null;
    stream.getTracks().forEach(function (track) { state.outgoing.addTrack(track); });
  }

  function showLocalMedia() {
    const videoTrack = state.screenTrack || state.cameraTrack;
    el.localVideo.srcObject = videoTrack ? new MediaStream([videoTrack]) : null;
    el.localVideo.hidden = !videoTrack;
    el.toggles.audio.hidden = !state.audioTrack;
    el.toggles.video.hidden = !state.cameraTrack;
  }

  // -- the peer connection ---------------------------------------------------------------

  function createPeerConnection() {
    if (state.pc) state.pc.close();
    const pc = new RTCPeerConnection(state.ice);
    state.pc = pc;
    state.makingOffer = false;
    state.ignoreOffer = false;
    state.settingRemoteAnswer = false;
    state.remoteSeen = false;
    state.remoteStream = new MediaStream();
    el.remoteVideo.srcObject = state.remoteStream;
    [state.audioTrack, state.screenTrack || state.cameraTrack].forEach(function (track) {
      if (track) pc.addTrack(track, state.outgoing);
    });
    pc.addEventListener("track", function (event) {
      state.remoteStream.addTrack(event.track);
    });
    pc.addEventListener("icecandidate", function (event) {
      send({ type: "ice", candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener("negotiationneeded", function () { negotiate(pc); });
    pc.addEventListener("iceconnectionstatechange", function () { watchIce(pc); });
  }

  // Make an offer — only when someone is there to answer it. The citizen waits for the
  // caseworker's first offer; later changes of its tracks it may offer itself.
  async function negotiate(pc) {
    if (pc !== state.pc || !state.peerPresent || !socketOpen()) return;
    if (polite && !state.remoteSeen) return;
    if (pc.signalingState !== "stable" || pc.getTransceivers().length === 0) return;
    try {
      state.makingOffer = true;
      await pc.setLocalDescription();
      send({ type: "offer", sdp: pc.localDescription.sdp });
    } catch (error) {
      console.warn("video: offer failed", error);
    } finally {
      state.makingOffer = false;
    }
  }

  async function onDescription(description) {
    const pc = state.pc;
    const readyForOffer =
      !state.makingOffer && (pc.signalingState === "stable" || state.settingRemoteAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    state.ignoreOffer = !polite && collision;
    if (state.ignoreOffer) return;
    try {
      state.settingRemoteAnswer = description.type === "answer";
      await pc.setRemoteDescription(description); // a polite collision rolls back implicitly
      state.settingRemoteAnswer = false;
      state.remoteSeen = true;
      if (description.type === "offer") {
        await pc.setLocalDescription();
        send({ type: "answer", sdp: pc.localDescription.sdp });
      }
    } catch (error) {
      state.settingRemoteAnswer = false;
      console.warn("video: description refused", error);
    }
  }

  async function onCandidate(candidate) {
    if (!candidate) return;
    try {
      await state.pc.addIceCandidate(candidate);
    } catch (error) {
      if (!state.ignoreOffer) console.warn("video: candidate refused", error);
    }
  }

  // "failed" at once, "disconnected" after a grace (it often heals itself): new ICE.
  function watchIce(pc) {
    if (pc !== state.pc) return;
    window.clearTimeout(state.disconnectTimer);
    const ice = pc.iceConnectionState;
    if (ice === "connected" || ice === "completed") {
      setStatus("connected");
    } else if (ice === "failed") {
      setStatus("reconnecting");
      restartIce();
    } else if (ice === "disconnected") {
      setStatus("reconnecting");
      state.disconnectTimer = window.setTimeout(restartIce, DISCONNECTED_GRACE_MS);
    }
  }

  // The impolite side restarts (its offer carries new ICE credentials); the polite side
  // asks it to, so that two restarts do not cross.
  function restartIce() {
    if (!state.peerPresent || !state.pc || state.pc.getTransceivers().length === 0) return;
    if (polite) send({ type: "restart" });
    else state.pc.restartIce();
  }

  // -- the peer's presence and media -----------------------------------------------------

  function peerArrived() {
    state.peerPresent = true;
    state.peerSeen = true;
    sendMediaState();
    const mediaLess = state.pc.getTransceivers().length === 0;
    setStatus(mediaLess ? "connected_text" : "connecting");
    if (!polite) negotiate(state.pc);
  }

  function peerGone() {
    state.peerPresent = false;
    setStatus("peer_left");
  }

  function sendMediaState() {
    send({
      type: "media",
      audio: Boolean(state.audioTrack && state.audioTrack.enabled),
      video: Boolean(state.cameraTrack && state.cameraTrack.enabled),
      screen: Boolean(state.screenTrack),
    });
  }

  function showPeerMedia(message) {
    if (config.mode === "text" && !message.screen) return; // nobody expects a picture
    const showsPicture = Boolean(message.video || message.screen);
    el.placeholder.hidden = showsPicture;
    el.remoteVideo.classList.toggle("video-call__remote--off", !showsPicture);
    el.remoteMuted.hidden = Boolean(message.audio);
    el.remoteVideo.classList.toggle("video-call__remote--screen", Boolean(message.screen));
  }

  // -- controls --------------------------------------------------------------------------

  function toggleTrack(track, button) {
    if (!track) return;
    track.enabled = !track.enabled;
    button.setAttribute("aria-pressed", String(!track.enabled));
    sendMediaState();
  }

  async function toggleScreen() {
    if (state.screenTrack) {
      stopScreen();
      return;
    }
    try {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
      state.screenTrack = stream.getVideoTracks()[0];
      // The browser's own "stop sharing" bar ends the track: go back to the camera then.
      state.screenTrack.addEventListener("ended", stopScreen);
      await sendVideo(state.screenTrack);
      el.toggles.screen.setAttribute("aria-pressed", "true");
      setNote("screen_on");
    } catch (error) {
      state.screenTrack = null;
      setNote("screen_failed");
    }
    showLocalMedia();
    sendMediaState();
  }

  function stopScreen() {
    if (!state.screenTrack) return;
    state.screenTrack.stop();
    state.screenTrack = null;
    sendVideo(state.cameraTrack);
    el.toggles.screen.setAttribute("aria-pressed", "false");
    setNote("screen_off");
    showLocalMedia();
    sendMediaState();
  }

  // Swap the picture on the video sender without renegotiating; without a sender yet (an
  // audio-only call) add the track, which renegotiates.
  async function sendVideo(track) {
    const sender = state.pc.getSenders().find(function (candidate) {
      return candidate.track ? candidate.track.kind === "video" : isVideoSender(candidate);
    });
    if (sender) {
      await sender.replaceTrack(track);
    } else if (track) {
      state.pc.addTrack(track, state.outgoing);
    }
  }

  function isVideoSender(sender) {
    return state.pc.getTransceivers().some(function (transceiver) {
      return transceiver.sender === sender && transceiver.receiver.track.kind === "video";
    });
  }

  function hangUp() {
    send({ type: "hangup" });
    finish(config.nextUrl);
  }

  // Stop everything (the camera light goes off) and go on to the next page.
  function finish(url) {
    if (state.closing) return;
    state.closing = true;
    window.clearInterval(state.pinger);
    if (state.screenTrack) state.screenTrack.stop();
    state.outgoing.getTracks().forEach(function (track) { track.stop(); });
    if (state.pc) state.pc.close();
    if (state.socket) state.socket.close(1000);
    setStatus("ended");
    window.location.assign(url || config.nextUrl);
  }

  // -- chat and documents ----------------------------------------------------------------

  function addToLog(who, body, at, link) {
    const item = document.createElement("div");
    item.className = "video-chat__message";
    const head = document.createElement("span");
    head.className = "video-chat__who";
    const time = document.createElement("time");
    const moment = at ? new Date(at) : new Date();
    time.dateTime = moment.toISOString();
    time.textContent = moment.toLocaleTimeString(document.documentElement.lang, {
      hour: "2-digit",
      minute: "2-digit",
    });
    head.append(text(who), " ", time);
    const content = document.createElement(link ? "a" : "p");
    content.className = link ? "kern-link video-chat__text" : "video-chat__text";
    if (link) content.href = link;
    content.textContent = body;
    item.append(head, content);
    el.chatLog.appendChild(item);
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  function sendChat(event) {
    event.preventDefault();
    const body = el.chatInput.value.trim();
    if (!body || !send({ type: "chat", text: body })) return;
    addToLog("me", body);
    el.chatInput.value = "";
  }

  // With the script the document goes by fetch and the answer shows in place; without it
  // the same form posts normally and the server redirects back with a message.
  async function sendDocument(event) {
    event.preventDefault();
    try {
      const response = await fetch(el.documentForm.action, {
        method: "POST",
        body: new FormData(el.documentForm),
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      const answer = await response.json();
      if (answer.ok) {
        el.documentResult.textContent = text("document_sent", { name: answer.name });
        el.documentForm.reset();
      } else {
        el.documentResult.textContent = answer.error || text("document_failed");
      }
    } catch (error) {
      el.documentResult.textContent = text("document_failed");
    }
  }

  function csrfToken() {
    const input = root.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input) return input.value;
    const cookie = document.cookie.split("; ").find(function (part) {
      return part.startsWith("csrftoken=");
    });
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  // -- signaling -------------------------------------------------------------------------

  function handle(message) {
    switch (message.type) {
      case "welcome":
        // Back after a drop: the peer may hold a connection to our old self. Start afresh.
        if (state.welcomed) createPeerConnection();
        state.welcomed = true;
        if (message.peer_present) peerArrived();
        else setStatus("waiting_peer");
        return null;
      case "peer":
        if (message.state === "joined") {
          const back = state.peerSeen;
          createPeerConnection();
          peerArrived();
          if (back) setStatus("peer_back");
        } else {
          peerGone();
        }
        return null;
      case "offer":
      case "answer":
        return onDescription({ type: message.type, sdp: message.sdp });
      case "ice":
        return onCandidate(message.candidate);
      case "restart":
        if (state.pc) state.pc.restartIce();
        return null;
      case "media":
        showPeerMedia(message);
        return null;
      case "chat":
        if (message.from !== config.role) addToLog(message.from, message.text, message.at);
        return null;
      case "document":
        addToLog(
          message.from || "citizen",
          text("document_received", { name: message.name }),
          null,
          config.role === "caseworker" ? message.url : null
        );
        return null;
      case "requeued":
        setStatus("requeued");
        finish(message.waiting_url || config.waitingUrl);
        return null;
      case "ended":
        finish(message.next_url || message[config.role + "_next"] || config.nextUrl);
        return null;
      case "error":
        el.status.textContent = message.message || text("error");
        return null;
      default:
        return null;
    }
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = "?token=" + encodeURIComponent(state.token || "");
    state.token = null; // one-time: a reconnect fetches a fresh one
    const socket = new WebSocket(scheme + "//" + window.location.host + config.signalUrl + query);
    state.socket = socket;
    socket.addEventListener("open", function () {
      state.retries = 0;
      state.pinger = window.setInterval(function () { send({ type: "ping" }); }, PING_MS);
    });
    socket.addEventListener("message", function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (!message || typeof message.type !== "string") return;
      // The caseworker's page listens too (staff-call.js: documents arriving).
      document.dispatchEvent(new CustomEvent("videocall:message", { detail: message }));
      state.inbox = state.inbox.then(function () { return handle(message); }).catch(
        function (error) { console.warn("video: message failed", error); }
      );
    });
    socket.addEventListener("close", function (event) {
      window.clearInterval(state.pinger);
      if (state.closing || socket !== state.socket) return;
      if (event.code === FINAL_CODE) {
        finish(config.nextUrl);
        return;
      }
      reconnectLater();
    });
  }

  // 1, 2, 4, 8, 15, 15 … seconds, each time with a fresh ticket.
  function reconnectLater() {
    setStatus("reconnecting");
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** state.retries);
    state.retries += 1;
    state.reconnectTimer = window.setTimeout(reconnect, delay);
  }

  async function reconnect() {
    if (state.closing) return;
    try {
      const response = await fetch(config.ticketUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
      if (response.status === 403 || response.status === 410) {
        finish(config.nextUrl); // not ours any more, or over: nothing to come back to
        return;
      }
      if (!response.ok) throw new Error("ticket " + response.status);
      const ticket = await response.json();
      state.token = ticket.token;
      state.ice = ticket.ice || state.ice; // fresh TURN credentials for the next connection
      connect();
    } catch (error) {
      reconnectLater();
    }
  }

  function socketOpen() {
    return state.socket && state.socket.readyState === WebSocket.OPEN;
  }

  function send(message) {
    if (!socketOpen()) return false;
    state.socket.send(JSON.stringify(message));
    return true;
  }

  // A new network (Wi-Fi to mobile, a laptop waking up): new ICE at once, and a socket
  // that died meanwhile does not wait out its backoff.
  function networkChanged() {
    if (state.closing) return;
    restartIce();
    if (state.socket && state.socket.readyState === WebSocket.CLOSED) {
      window.clearTimeout(state.reconnectTimer);
      state.retries = 0;
      reconnect();
    }
  }

  // -- start -----------------------------------------------------------------------------

  async function start() {
    setStatus("connecting");
    const canShare = navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia;
    if (el.toggles.screen && !canShare) el.toggles.screen.hidden = true;
    await startMedia();
    showLocalMedia();
    createPeerConnection();
    el.toggles.audio.addEventListener("click", function () {
      toggleTrack(state.audioTrack, el.toggles.audio);
    });
    el.toggles.video.addEventListener("click", function () {
      toggleTrack(state.cameraTrack, el.toggles.video);
    });
    if (el.toggles.screen) el.toggles.screen.addEventListener("click", toggleScreen);
    el.hangup.addEventListener("click", hangUp);
    el.chatForm.addEventListener("submit", sendChat);
    if (el.documentForm) el.documentForm.addEventListener("submit", sendDocument);
    window.addEventListener("online", networkChanged);
    if (navigator.connection) navigator.connection.addEventListener("change", networkChanged);
    connect();
  }

  // For browser tests: the current peer connection (it is replaced after a reconnect).
  window.videoCall = {
    get pc() { return state.pc; },
    stats: function () { return state.pc.getStats(); },
  };

  start();
})();
