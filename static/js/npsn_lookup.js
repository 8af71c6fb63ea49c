// School registration: once eight digits are typed in the NPSN field, ask the national school
// reference (GET /api/v1/schools/reference/<npsn>) and fill the school's name, regency and, when
// none is ticked, its level. A convenience only: the server fills and checks the same on submit,
// so without this script (or when the lookup fails) the form still works by hand.
// <fieldset data-npsn-lookup="URL with 00000000" data-found="… {school} …" data-failed="…">
(function () {
  "use strict";
  var box = document.querySelector("fieldset[data-npsn-lookup]");
  var npsn = document.getElementById("npsn");
  var status = document.getElementById("npsn-lookup-status");
  if (!box || !npsn || !status || !window.fetch) {
    return;
  }
  var name = document.getElementById("school_name");
  var regency = document.getElementById("regency");
  var asked = null;

  function fill(school) {
    if (name) {
      name.value = school.name;
    }
    if (regency) {
      regency.value = school.regency.slug;
    }
    var levels = box.querySelectorAll('input[type="checkbox"][name="levels"]');
    var ticked = Array.prototype.some.call(levels, function (input) { return input.checked; });
    if (!ticked) {
      levels.forEach(function (input) { input.checked = input.value === school.level; });
    }
  }

  function describe(school) {
    return school.name + " (" + school.level + ", " + school.regency.name + ")";
  }

  function lookUp() {
    var value = npsn.value.trim();
    if (!/^[0-9]{8}$/.test(value)) {
      asked = null;
      status.textContent = "";
      return;
    }
    if (value === asked) {
      return;
    }
    asked = value;
    fetch(box.dataset.npsnLookup.replace("00000000", value), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (npsn.value.trim() !== value) {
          return; // typed on meanwhile: the newer number's answer counts
        }
        if (answer.ok) {
          fill(answer.body);
          status.textContent = box.dataset.found.replace("{school}", describe(answer.body));
        } else {
          // Not in the reference, or too many lookups: the server's words, in the user's language.
          status.textContent = answer.body.message || box.dataset.failed;
        }
      })
      .catch(function () {
        asked = null; // offline or a broken answer: typing again tries again
        status.textContent = box.dataset.failed;
      });
  }

  npsn.addEventListener("input", lookUp);
  lookUp(); // a number already there (the browser kept it, or the form came back with errors)
})();
