// "Copy" buttons: <button data-copy="input-id" hidden>. Shown only where the browser can copy,
// so without JavaScript the link stays in its read-only field, ready to select.
(function () {
  var buttons = document.querySelectorAll("button[data-copy]");
  if (!navigator.clipboard) {
    return;
  }
  buttons.forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector(".copy-status");
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          if (status) status.textContent = "リンクをコピーしました。";
        },
        function () {
          field.select();
          if (status) status.textContent = "コピーできませんでした。リンクを長押ししてコピーしてください。";
        }
      );
    });
  });
})();
