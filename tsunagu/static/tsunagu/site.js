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
// An htmx form (a vacancy card) whose request failed: the server answered 500 or never
// answered. The change may have been made all the same, so the card says that the outcome is
// unknown — never that it failed (the text comes from the page, in its language). Timed
// refreshes (GET) stay quiet: the next one tries again.
function showUnsure(event) {
  var detail = event.detail || {};
  var config = detail.requestConfig || {};
  if (!config.verb || config.verb === "get") return;
  var form = detail.elt && detail.elt.closest ? detail.elt.closest("form") || detail.elt : null;
  var text = document.body.getAttribute("data-unsure-text");
  if (!form || !form.parentNode || !text) return;
  var box = form.parentNode.querySelector("[data-unsure]");
  if (!box) {
    box = document.createElement("p");
    box.setAttribute("data-unsure", "");
    box.setAttribute("role", "alert");
    box.className = "message error";
    form.parentNode.insertBefore(box, form);
  }
  box.textContent = text;
}
document.addEventListener("htmx:responseError", showUnsure);
document.addEventListener("htmx:sendError", showUnsure);
