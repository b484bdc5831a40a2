// The caseworker's call page, beside the call itself (call.js): the side panels.
// - The case and Videoident panels are sent with htmx and come back alone, so the call
//   goes on; afterwards the focus moves to the panel's message (or its heading).
// - The list of documents the citizen sent is fetched again when call.js reports a
//   document (a "videocall:message" event on document), and every 20 seconds as a
//   fallback; a new one is announced in the live region.
(function () {
  "use strict";
  const announceRegion = document.querySelector("[data-documents-announce]");
  const POLL_MS = 20000;

  document.body.addEventListener("htmx:afterSettle", function (event) {
    const panel = event.detail && event.detail.elt ? event.detail.elt.closest(".video-panel") || event.detail.elt : null;
    const root = panel && document.contains(panel) ? panel : document;
    const target = root.querySelector("[data-panel-message], .error-summary") || root.querySelector("h2[tabindex]");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  });

  function documentsBox() {
    return document.getElementById("gespraech-dokumente");
  }

  function names(box) {
    return Array.from(box.querySelectorAll("a[download]")).map(function (link) { return link.textContent.trim(); });
  }

  function refreshDocuments() {
    const box = documentsBox();
    if (!box || !window.fetch || box.contains(document.activeElement)) return;
    const before = names(box);
    fetch(box.dataset.documentsUrl, { credentials: "same-origin", headers: { "HX-Request": "true" }, cache: "no-store" })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        const current = documentsBox();
        if (html === null || !current || current.contains(document.activeElement)) return;
        const holder = document.createElement("div");
        holder.innerHTML = html;
        const fresh = holder.firstElementChild;
        if (!fresh) return;
        current.replaceWith(fresh);
        if (window.htmx) window.htmx.process(fresh);
        const added = names(fresh).filter(function (name) { return !before.includes(name); });
        if (added.length && announceRegion) {
          announceRegion.textContent = announceRegion.dataset.announceDocument.replace("%(name)s", added.join(", "));
        }
      })
      .catch(function () { /* the next report or poll tries again */ });
  }

  document.addEventListener("videocall:message", function (event) {
    if (event.detail && event.detail.type === "document") refreshDocuments();
  });
  window.setInterval(function () {
    if (document.visibilityState === "visible") refreshDocuments();
  }, POLL_MS);
})();
