// "Share with another app": the system's share sheet (Web Share API), where the browser has it.
// <button id="share-native" data-title="…" data-text="…" data-url="…" hidden> stays hidden
// elsewhere: the WhatsApp link and the copy-link button beside it work without it.
(function () {
  "use strict";
  var button = document.getElementById("share-native");
  if (!button || typeof navigator.share !== "function") {
    return;
  }
  var data = { title: button.dataset.title, text: button.dataset.text, url: button.dataset.url };
  if (typeof navigator.canShare === "function" && !navigator.canShare(data)) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.share(data).catch(function () {
      // Closing the sheet rejects too (AbortError): nothing to tell the person.
    });
  });
})();
