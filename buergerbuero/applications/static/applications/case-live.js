// Case page of the work screen: while it is open, say so when someone else changes the
// case (status, assignment, a message or a document from the citizen), with a link to
// reload. An enhancement: without it, a change made meanwhile is reported as a conflict
// on the caseworker's next action. The server sends the sentence in the page's language.
(function () {
  "use strict";
  const region = document.querySelector("[data-case-live]");
  const template = document.getElementById("case-live-notice");
  if (!region || !template || !("WebSocket" in window)) return;

  // Closed on purpose by the server: not allowed (or no such case), unknown room.
  const FINAL_CODES = [4403, 4404];
  const MAX_RETRIES = 8;
  let newest = Number(region.dataset.caseVersion) || 0;
  let retries = 0;

  function show(text) {
    let slot = region.querySelector("[data-live-text]");
    if (!slot) {
      region.appendChild(template.content.cloneNode(true));
      slot = region.querySelector("[data-live-text]");
    }
    slot.textContent = text;
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ version: String(newest), lang: document.documentElement.lang || "" });
    const socket = new WebSocket(scheme + "//" + window.location.host + region.dataset.caseLive + "?" + query);
    socket.addEventListener("open", function () { retries = 0; });
    socket.addEventListener("message", function (event) {
      let change;
      try { change = JSON.parse(event.data); } catch (error) { return; }
      // One change may come as several messages (claimed and status set): the first says it.
      if (!change || change.type !== "case.changed" || !(change.version > newest)) return;
      newest = change.version;
      show(change.text);
    });
    socket.addEventListener("close", function (event) {
      if (FINAL_CODES.includes(event.code) || retries >= MAX_RETRIES) return;
      retries += 1; // the server restarted or the network dropped: try again, more slowly
      window.setTimeout(connect, Math.min(60000, 1000 * 2 ** retries));
    });
  }

  connect();
})();
