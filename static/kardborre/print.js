// The print button of the printable pages: no inline script, so the CSP stays strict.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-kb-print]")) {
    event.preventDefault();
    window.print();
  }
});
