// The main navigation on a narrow screen (phone, small tablet): collapsed behind a disclosure button
// ("Menü", aria-expanded), so that the first screen shows the page's content. Without JavaScript the
// list stays open; on a wide screen it is always open and the button hidden.
(function () {
  "use strict";
  var nav = document.querySelector(".site-nav");
  if (!nav) { return; }
  var button = nav.querySelector(".site-nav__toggle");
  var list = nav.querySelector(".site-nav__list");
  if (!button || !list) { return; }
  var narrow = window.matchMedia("(max-width: 60em)");

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    list.hidden = !open;
  }

  function layout() {
    if (narrow.matches) {
      button.hidden = false;
      setOpen(false);
    } else {
      button.hidden = true;
      list.hidden = false;
    }
  }

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && narrow.matches && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
  if (narrow.addEventListener) { narrow.addEventListener("change", layout); }
  layout();
})();

// The error summary at the top of a form takes the focus, so that it is read first and the links
// lead to the fields (GOV.UK pattern).
(function () {
  "use strict";
  var summary = document.getElementById("fehlerliste");
  if (summary) { summary.focus(); }
})();
