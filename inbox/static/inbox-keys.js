// Keyboard shortcuts for the complaint list (progressive enhancement: without this
// script every link, checkbox and form works as before).
//   j / k     next / previous complaint (its number link gets the focus)
//   Enter, o  open the current complaint
//   x         tick or untick the current complaint
//   a         assign: tick the current one (if none is ticked) and go to "Petugas"
//   s         change status: likewise, to "Status tujuan"
// Keys are ignored while typing in a field or with Ctrl, Alt or Meta held. The list is
// looked up on every key press, so it keeps working after htmx swaps the results.
(function () {
  "use strict";
  // The complaint's number link in the first cell of its row.
  var OPEN = 'td:first-child > a[href^="/complaints/"]';

  function rows() {
    return Array.prototype.filter.call(
      document.querySelectorAll("table.inbox tbody tr"),
      function (tr) { return tr.querySelector(OPEN) !== null; }
    );
  }

  function current(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("kb-current")) { return i; }
    }
    return -1;
  }

  function select(list, index) {
    list.forEach(function (tr) {
      tr.classList.remove("kb-current");
      tr.removeAttribute("aria-current");
    });
    var row = list[index];
    row.classList.add("kb-current");
    row.setAttribute("aria-current", "true");
    row.querySelector(OPEN).focus();
  }

  function typing(target) {
    if (!target || !target.tagName) { return false; }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function toBulk(list, index, action, fieldName) {
    var form = document.getElementById("massal");
    var chooser = form ? form.querySelector('select[name="tindakan"]') : null;
    var option = chooser ? chooser.querySelector('option[value="' + action + '"]') : null;
    if (!option) {
      // No bulk form with this action here (the list of every inbox has no petugas):
      // the complaint's own page has the form.
      if (index >= 0 && action === "petugas") {
        window.location.href = list[index].querySelector(OPEN).href + "#form-petugas";
      }
      return;
    }
    var ticked = document.querySelectorAll('input[type="checkbox"][form="massal"]:checked');
    if (ticked.length === 0 && index >= 0) {
      var box = list[index].querySelector('input[type="checkbox"][form="massal"]');
      if (box) { box.checked = true; }
    }
    chooser.value = action;
    var field = form.querySelector('select[name="' + fieldName + '"]');
    (field || chooser).focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
    var list = rows();
    if (list.length === 0) { return; }
    var index = current(list);
    var key = event.key;
    if (key === "j" || key === "k") {
      var next = key === "j" ? Math.min(index + 1, list.length - 1) : Math.max(index - 1, 0);
      select(list, index < 0 ? 0 : next);
    } else if (key === "o" || (key === "Enter" && index >= 0 && event.target === document.body)) {
      if (index >= 0) { window.location.href = list[index].querySelector(OPEN).href; }
    } else if (key === "x") {
      if (index < 0) { return; }
      var box = list[index].querySelector('input[type="checkbox"][form="massal"]');
      if (box) { box.checked = !box.checked; }
    } else if (key === "a") {
      toBulk(list, index, "petugas", "assignee");
    } else if (key === "s") {
      toBulk(list, index, "status", "to_status");
    } else {
      return;
    }
    event.preventDefault();
  });

  // Opened from the list with "a": put the focus in the petugas form.
  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash === "#form-petugas") {
      var field = document.querySelector("#form-petugas select");
      if (field) { field.focus(); }
    }
  });
})();
