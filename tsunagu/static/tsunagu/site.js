// Site-wide behaviour. No inline scripts: the Content-Security-Policy forbids them.

// Steppers (−/＋ beside a number input) on the vacancy page. Delegated, so cards that
// htmx swaps in keep working without re-binding.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-stepper] [data-step]");
  if (!button) return;
  var input = button.closest("[data-stepper]").querySelector("input[type=number]");
  if (!input) return;
  var value = parseInt(input.value, 10);
  if (isNaN(value)) value = 0;
  value += parseInt(button.getAttribute("data-step"), 10);
  var min = input.min === "" ? 0 : parseInt(input.min, 10);
  if (value < min) value = min;
  if (input.max !== "" && value > parseInt(input.max, 10)) value = parseInt(input.max, 10);
  input.value = String(value);
  input.dispatchEvent(new Event("input", { bubbles: true }));
});

// Print buttons (the action queue, lists): the browser's own print dialog.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});

// The send button of the candidate list shows how many places are ticked.
document.addEventListener("change", function (event) {
  var form = event.target.closest("form.candidates");
  if (!form || event.target.name !== "units") return;
  var count = form.querySelectorAll('input[name="units"]:checked').length;
  form.querySelectorAll("[data-selected-count] [data-count]").forEach(function (span) {
    span.textContent = "(" + count + ")";
  });
});
