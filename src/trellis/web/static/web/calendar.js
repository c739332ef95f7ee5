/* The calendar's dragging: progressive enhancement over the "Move to" form of each
 * activity page.
 *
 * An activity (li.cal-item[draggable]) dropped on a day (month view, and the all-day row
 * of the week and day views) keeps its time of day; dropped on an hour slot it starts at
 * that hour. The move is posted to the activity's reschedule URL with its version and
 * Accept: application/json. On a refusal (400 bad date, 403 no write access, 409 changed
 * meanwhile) the item goes back where it was and the message is shown; after a move the
 * grid is fetched again so every item sits where the server put it.
 */
(function () {
  "use strict";

  var grid = document.getElementById("calendar-grid");
  if (!grid) return;
  var status = document.getElementById("calendar-status");
  var dragged = null;
  var origin = null;

  function say(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function slotOf(node) {
    return node && node.closest ? node.closest(".cal-slot[data-date]") : null;
  }

  function post(url, fields) {
    return window.TrellisDrop.post(url, fields, grid.getAttribute("data-csrf"));
  }

  function reload() {
    return window.TrellisDrop.refresh(grid);
  }

  function snapBack(item) {
    if (origin && origin.list) origin.list.insertBefore(item, origin.next);
  }

  function listOf(slot) {
    var list = slot.querySelector(".cal-items");
    if (!list) {
      list = document.createElement("ul");
      list.className = "cal-items";
      slot.appendChild(list);
    }
    return list;
  }

  grid.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest(".cal-item[draggable='true']");
    if (!item) return;
    dragged = item;
    origin = { list: item.parentNode, next: item.nextSibling, slot: slotOf(item) };
    item.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-id"));
  });

  grid.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    grid.querySelectorAll(".is-over").forEach(function (node) { node.classList.remove("is-over"); });
    dragged = null;
  });

  grid.addEventListener("dragover", function (event) {
    var slot = slotOf(event.target);
    if (!dragged || !slot) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    slot.classList.add("is-over");
  });

  grid.addEventListener("dragleave", function (event) {
    var slot = slotOf(event.target);
    if (slot && !slot.contains(event.relatedTarget)) slot.classList.remove("is-over");
  });

  grid.addEventListener("drop", function (event) {
    var slot = slotOf(event.target);
    if (!dragged || !slot) return;
    event.preventDefault();
    slot.classList.remove("is-over");
    var item = dragged;
    item.classList.remove("is-dragging");
    dragged = null;
    if (origin && origin.slot === slot) return;
    listOf(slot).appendChild(item);
    say("");
    post(item.getAttribute("data-reschedule-url"), {
      date: slot.getAttribute("data-date"),
      time: slot.getAttribute("data-time"),
      version: item.getAttribute("data-version")
    }).then(function (result) {
      if (result.ok) {
        say(result.data.detail || "");
        return reload();
      }
      snapBack(item);
      say(result.data.detail || result.status, true);
      // Changed meanwhile: show where it is now, with its new version.
      if (result.status === 409) return reload();
    }).catch(function () {
      snapBack(item);
      say(grid.getAttribute("data-offline"), true);
    });
  });
})();
