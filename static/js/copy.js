// "Copy" buttons: <button data-copy="ID" data-status="ID" data-copied="…" data-failed="…" hidden>.
// Without this script the button stays hidden and the text is there to select by hand.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = document.getElementById(button.dataset.status);
    if (!source || !navigator.clipboard) {
      return; // an old browser or plain http: selecting the text still works
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () {
          status.textContent = button.dataset.copied;
          status.classList.remove("copy-failed");
        },
        function () {
          status.textContent = button.dataset.failed;
          status.classList.add("copy-failed");
          window.getSelection().selectAllChildren(source);
        }
      );
    });
  });
})();
