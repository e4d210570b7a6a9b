// The calculator's step 2: ticking an item shows its questions at once. Without this script the
// "update the list" button does the same with a round trip to the server.
(function () {
  var boxes = document.querySelectorAll("input[type=checkbox][data-toggle]");
  if (!boxes.length) return;
  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      var set = document.getElementById(box.getAttribute("data-toggle"));
      if (set) set.hidden = !box.checked;
    });
  });
  var update = document.querySelector("[data-test=update-families]");
  if (update) update.hidden = true;
})();
// Step 1: each question is asked of the applicant kinds whose provisions read it (data-kinds); changing
// the kind shows that kind's questions at once. Without this script "下一步" shows them first.
(function () {
  var kind = document.getElementById("f-kind");
  var asked = document.querySelector("[data-asked-kind]");
  if (!kind) return;
  kind.addEventListener("change", function () {
    document.querySelectorAll("[data-kinds]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
    });
    if (asked) asked.value = kind.value;
  });
})();
