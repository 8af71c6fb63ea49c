// The booking request form: the total price as the number of students changes, and a warning
// (with its "I am sure" box) as soon as a level the school is recorded without is chosen.
// The server asks the same on submit (rules.check_level_taught); this only asks earlier.
(function () {
  "use strict";
  var form = document.querySelector("form.booking-form");
  if (!form) return;

  var price = parseInt(form.dataset.price || "0", 10);
  var students = form.querySelector("[name=students]");
  var total = document.getElementById("total-price");

  function rupiah(amount) {
    // As koin_media/i18n.py format_rupiah: "Rp 25.000" in both languages; nothing to pay is free.
    if (!amount) return form.dataset.free;
    return "Rp " + String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function showTotal() {
    var count = parseInt(students.value, 10);
    if (!total || !(count > 0) || String(count) !== students.value.trim()) return;
    total.textContent = form.dataset.total.replace("{total}", rupiah(price * count)).replace("{students}", count);
  }

  var level = form.querySelector("[name=level]");
  var check = document.getElementById("level-check");
  var warning = document.getElementById("level-warning");
  var taught = (form.dataset.schoolLevels || "").split(",").filter(Boolean);

  function checkLevel() {
    if (!check || !level || !taught.length) return;
    var chosen = level.value;
    var unexpected = chosen && taught.indexOf(chosen) === -1;
    check.hidden = !unexpected;
    warning.textContent = unexpected ? form.dataset.levelWarning.split("{level}").join(chosen) : "";
    if (!unexpected) {
      var box = check.querySelector("[name=level_confirmed]");
      if (box) box.checked = false;
    }
  }

  if (students) {
    students.addEventListener("input", showTotal);
    showTotal();
  }
  if (level) {
    level.addEventListener("change", checkLevel);
    checkLevel();
  }
})();
