/* Bulk selection on the record lists: "select all on this page" and a count of the
 * ticked rows. Without JavaScript each row is ticked by hand; the form works the same. */
(function () {
  "use strict";

  function rows() {
    return document.querySelectorAll("input[data-bulk-row]");
  }

  function update() {
    var ticked = 0;
    var all = rows();
    all.forEach(function (box) { if (box.checked) ticked += 1; });
    var count = document.querySelector("[data-bulk-count]");
    if (count) {
      if (!count.hasAttribute("data-empty")) count.setAttribute("data-empty", count.textContent);
      count.textContent = ticked
        ? ticked + " / " + all.length + " " + (count.getAttribute("data-selected") || "")
        : count.getAttribute("data-empty");
    }
    document.querySelectorAll("input[data-bulk-all]").forEach(function (box) {
      box.checked = all.length > 0 && ticked === all.length;
      box.indeterminate = ticked > 0 && ticked < all.length;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("input[data-bulk-all]")) {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches && target.matches("input[data-bulk-all], input[data-bulk-row]")) update();
  });
  // The live search changes the address without reloading the page: the bulk bar goes
  // back to, and a saved view keeps, the filters shown now, not those the page came with.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var next = form.querySelector("input[name='bulk-next']");
    if (next) next.value = window.location.pathname + window.location.search;
    var query = form.querySelector("input[name='view-query_string']");
    if (query) query.value = window.location.search.replace(/^\?/, "");
  }, true);

  // The results table is swapped by the live search: the count starts again.
  document.addEventListener("htmx:afterSwap", update);
})();
