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
