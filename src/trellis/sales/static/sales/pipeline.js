/* The pipeline board's dragging: progressive enhancement over the "Move to…" forms.
 *
 * A card dropped on an open stage is posted to its move URL (the same form the select
 * submits) with Accept: application/json. On a refusal (403, 412, 400) the card goes back
 * where it was and the message is shown; a stale card reloads the board. A card dropped
 * on won or lost opens the close dialog, which posts to the close URL. After every
 * change the board is fetched again, so counts and totals stay right.
 */
(function () {
  "use strict";

  var board = document.getElementById("pipeline-board");
  if (!board) return;
  var status = document.getElementById("pipeline-status");
  var dialog = document.getElementById("pipeline-close-dialog");
  var dragged = null;
  var origin = null;

  function say(text, isError) {
    status.textContent = text || "";
    status.classList.toggle("is-error", Boolean(isError));
  }

  function csrf() {
    return board.getAttribute("data-csrf") || "";
  }

  function post(url, fields) {
    return window.TrellisDrop.post(url, fields, csrf());
  }

  function reload() {
    return window.TrellisDrop.refresh(board);
  }

  function snapBack(card) {
    if (origin && origin.list) origin.list.insertBefore(card, origin.next);
  }

  function columnOf(node) {
    return node && node.closest ? node.closest(".pipeline-column") : null;
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".pipeline-card[draggable='true']");
    if (!card) return;
    dragged = card;
    origin = { list: card.parentNode, next: card.nextSibling };
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-id"));
  });

  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    board.querySelectorAll(".is-over").forEach(function (node) { node.classList.remove("is-over"); });
  });

  board.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });

  board.addEventListener("dragleave", function (event) {
    var column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-over");
  });

  board.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    column.classList.remove("is-over");
    var card = dragged;
    dragged = null;
    var stage = column.getAttribute("data-stage");
    if (columnOf(card) === column) return;
    if (column.classList.contains("pipeline-dropzone")) {
      openClose(card, stage);
      return;
    }
    column.querySelector(".pipeline-cards").prepend(card);
    say("");
    post(card.getAttribute("data-move-url"), {
      stage: stage,
      version: card.getAttribute("data-version")
    }).then(function (result) {
      if (result.ok) {
        say(result.data.detail || "");
        return reload();
      }
      snapBack(card);
      say(result.data.detail, true);
      if (result.status === 412) return reload();
    }).catch(function () {
      snapBack(card);
      say(board.getAttribute("data-offline") || "The change could not be sent.", true);
    });
  });

  function openClose(card, outcome) {
    if (!dialog || typeof dialog.showModal !== "function") {
      window.location.href = card.getAttribute("data-close-url") + "?outcome=" + outcome;
      return;
    }
    var form = dialog.querySelector("[data-close-form]");
    form.reset();
    form.action = card.getAttribute("data-close-url");
    form.elements.outcome.value = outcome;
    form.elements.version.value = card.getAttribute("data-version");
    form.elements.amount.value = card.getAttribute("data-amount");
    form.elements.reason.required = outcome === "lost";
    dialog.querySelector("[data-won-only]").hidden = outcome !== "won";
    dialog.querySelector("[data-close-name]").textContent = card.getAttribute("data-name");
    dialog.querySelector("[data-close-error]").textContent = "";
    dialog.showModal();
    (outcome === "lost" ? form.elements.reason : form.elements.amount).focus();
  }

  if (dialog) {
    var form = dialog.querySelector("[data-close-form]");
    dialog.querySelector("[data-close-cancel]").addEventListener("click", function () {
      dialog.close();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = {
        outcome: form.elements.outcome.value,
        version: form.elements.version.value,
        reason: form.elements.reason.value
      };
      if (fields.outcome === "won") fields.amount = form.elements.amount.value;
      post(form.action, fields).then(function (result) {
        if (result.ok) {
          dialog.close();
          return reload();
        }
        var errors = (result.data.errors || []).map(function (error) { return error.message; });
        dialog.querySelector("[data-close-error]").textContent =
          result.data.detail + (errors.length ? " (" + errors.join("; ") + ")" : "");
        if (result.status === 412) reload();
      });
    });
  }
})();
