// ALTCHA proof of work on the booking and ticket forms (core/proof_of_work.py).
//
// The widget is ALTCHA's "external" build: it brings no worker of its own (the default
// build starts one from a blob: URL, which the Content-Security-Policy refuses), so the
// PBKDF2 worker is registered here from our static files. Then, for every widget:
// - the work starts at once, nobody has to tick a box (auto="off" in the markup, so it
//   cannot start before the worker is registered);
// - a challenge that expires while the page is open (ALTCHA_EXPIRY_SECONDS) is replaced
//   by a fresh one, so taking one's time never costs a refusal;
// - a form sent while the work is still running is held and sent, with the same button,
//   as soon as it is done.
// Without JavaScript none of this runs and the form is sent without a solution: the server
// accepts a few such submissions per address and hour.

const WIDGET = "altcha-widget";

await customElements.whenDefined(WIDGET);
const widgets = [...document.querySelectorAll(WIDGET)];
if (widgets.length) {
  const worker = widgets[0].dataset.worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", () => new Worker(worker));
}

for (const widget of widgets) {
  const form = widget.closest("form");
  let heldSubmitter = null;

  widget.addEventListener("expired", () => widget.verify());
  widget.addEventListener("statechange", (event) => {
    // The work failed (the widget says why): the held form is let go, the next click
    // sends it without a solution.
    if (event.detail?.state === "error" && heldSubmitter) {
      heldSubmitter = null;
      form?.removeAttribute("aria-busy");
    }
  });
  widget.addEventListener("verified", () => {
    if (form && heldSubmitter) {
      const submitter = heldSubmitter;
      heldSubmitter = null;
      form.removeAttribute("aria-busy");
      form.requestSubmit(submitter);
    }
  });
  form?.addEventListener("submit", (event) => {
    if (widget.getState() !== "verifying") return;
    event.preventDefault();
    heldSubmitter = event.submitter || null;
    form.setAttribute("aria-busy", "true");
  }, { capture: true });

  widget.verify();
}
