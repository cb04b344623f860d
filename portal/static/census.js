// The census upload form's progress bar: htmx fires htmx:xhr:progress while the file is sent. A file, not an
// hx-on attribute: the portal's CSP runs scripts from 'self' only (no inline code, no eval).
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target && event.target.closest ? event.target.closest("#census-upload") : null;
  if (!form || !event.detail.total) { return; }
  var bar = form.querySelector("progress");
  bar.hidden = false;
  bar.value = 100 * event.detail.loaded / event.detail.total;
});
