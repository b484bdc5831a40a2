// SAML HTTP-POST binding: post the message on without a click. Without JavaScript the
// page shows a "Weiter" button that does the same.
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.submit();
}
