// A data table wider than the screen says so under its title: 「（横にスクロールできます）」 shows only
// while the table's frame has more to scroll to (a phone), never on a screen where it all fits.
(function () {
  function update() {
    document.querySelectorAll("[data-scroll-region]").forEach(function (region) {
      var hint = region.querySelector("[data-scroll-hint]");
      if (hint) hint.hidden = region.scrollWidth <= region.clientWidth + 1;
    });
  }
  update();
  window.addEventListener("resize", update);
})();
