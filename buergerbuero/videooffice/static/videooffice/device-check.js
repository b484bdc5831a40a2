// Office page: check camera and microphone before knocking. An enhancement: the section is
// hidden without JavaScript and the knock form works anyway. What we learn here pre-selects
// the call mode in the form (audio only without a camera, text only without a microphone),
// so that the call does not begin with a failing camera. The messages come from the page
// (<template data-device-text>), in the page's language.
(function () {
  "use strict";
  const section = document.querySelector("[data-device-check]");
  if (!section) return;
  const preview = section.querySelector("[data-device-preview]");
  const level = section.querySelector("[data-device-level]");
  const startButton = section.querySelector("[data-device-start]");
  const stopButton = section.querySelector("[data-device-stop]");
  const region = section.querySelector("[data-device-message]");
  const form = document.querySelector("[data-knock-form]");

  let stream = null;
  let audioContext = null;
  let frame = 0;

  section.hidden = false;

  function say(name) {
    const template = section.querySelector('template[data-device-text="' + name + '"]');
    region.replaceChildren(template.content.cloneNode(true));
  }

  function chooseMode(mode) {
    if (!form) return;
    const radio = form.querySelector('input[name="mode"][value="' + mode + '"]');
    if (radio) radio.checked = true;
  }

  function supported() {
    return Boolean(
      window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
    );
  }

  // Camera and microphone together first; on "not found" try the microphone alone, to tell
  // "no camera" from "nothing at all".
  async function check() {
    stop();
    startButton.disabled = true;
    try {
      show(await navigator.mediaDevices.getUserMedia({ video: true, audio: true }));
      say("ok");
    } catch (error) {
      await explain(error);
    } finally {
      startButton.disabled = false;
    }
  }

  async function explain(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      say("denied");
      chooseMode("text");
    } else if (name === "NotReadableError" || name === "AbortError") {
      say("in-use");
    } else if (name === "NotFoundError" || name === "OverconstrainedError") {
      await checkMicrophoneAlone();
    } else {
      say("failed");
    }
  }

  async function checkMicrophoneAlone() {
    try {
      show(await navigator.mediaDevices.getUserMedia({ audio: true }));
      say("no-camera");
      chooseMode("audio");
    } catch (error) {
      const cameraOnly = await hasCamera();
      say(cameraOnly ? "no-mic" : "no-devices");
      chooseMode("text");
    }
  }

  async function hasCamera() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.some(function (device) { return device.kind === "videoinput"; });
    } catch (error) {
      return false;
    }
  }

  function show(newStream) {
    stream = newStream;
    preview.srcObject = stream.getVideoTracks().length ? stream : null;
    stopButton.hidden = false;
    if (stream.getAudioTracks().length) meter(stream);
  }

  // The level: the loudest sample of each animation frame, as 0–100.
  function meter(source) {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audioContext = new Context();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    audioContext.createMediaStreamSource(source).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    function draw() {
      analyser.getByteTimeDomainData(samples);
      let peak = 0;
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample - 128));
      level.value = Math.min(100, Math.round((peak / 128) * 200));
      level.textContent = String(level.value);
      frame = window.requestAnimationFrame(draw);
    }
    draw();
  }

  // Release camera and microphone: the light goes off, and the call page can have them.
  function stop() {
    if (frame) window.cancelAnimationFrame(frame);
    frame = 0;
    if (audioContext) audioContext.close();
    audioContext = null;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    preview.srcObject = null;
    level.value = 0;
    stopButton.hidden = true;
  }

  if (!supported()) {
    startButton.disabled = true;
    say("unsupported");
    chooseMode("text");
    return;
  }
  startButton.addEventListener("click", check);
  stopButton.addEventListener("click", function () {
    stop();
    startButton.focus();
  });
  if (form) form.addEventListener("submit", stop);
  window.addEventListener("pagehide", stop);
})();
