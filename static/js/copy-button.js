// Progressive enhancement: a <button data-copy-target="ID" hidden> copies the text of the element with that id
// (a BibTeX entry) to the clipboard. Without JavaScript, or without the Clipboard API (a page not served over
// HTTPS), the button stays hidden and the text can still be selected by hand.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var label = button.textContent;
    var status = button.nextElementSibling;
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copyTarget);
      if (!source) return;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = button.dataset.copiedLabel || label;
        if (status) status.textContent = button.dataset.copiedLabel || "";
        window.setTimeout(function () {
          button.textContent = label;
          if (status) status.textContent = "";
        }, 2000);
      });
    });
  });
})();
