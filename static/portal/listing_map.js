// The listing's map, where JavaScript runs: a Leaflet map (vendored from npm) with a marker on the public
// map point of each program of the page, each marker opening a link to its program. It is drawn again
// when htmx swaps new results in. Without JavaScript the map stays hidden and the list is the page.
(function () {
  "use strict";
  var L = window.L;
  if (!L) return;
  var script = document.currentScript || document.querySelector("script[data-leaflet-images]");
  if (script) L.Icon.Default.imagePath = script.getAttribute("data-leaflet-images");

  function draw(section) {
    if (section.dataset.drawn) return;
    section.dataset.drawn = "1";
    var points = section.querySelectorAll("[data-point]");
    if (!points.length) return;
    section.hidden = false;
    var canvas = section.querySelector("[data-canvas]");
    var map = L.map(canvas, { scrollWheelZoom: false });
    var credit = section.querySelector("[data-attribution]");
    L.tileLayer(section.dataset.tiles, { maxZoom: 18, attribution: credit ? credit.innerHTML : "" }).addTo(map);
    if (credit) credit.hidden = true; // Leaflet shows the credit on the map itself
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", section.dataset.label || "");
    var bounds = [];
    points.forEach(function (point) {
      var at = [parseFloat(point.dataset.lat), parseFloat(point.dataset.lng)];
      var link = point.querySelector("a");
      var title = link.textContent;
      // The popup holds a copy of the program's link, built as nodes (titles are never parsed as HTML).
      var popup = document.createElement("a");
      popup.href = link.getAttribute("href");
      popup.textContent = title;
      L.marker(at, { title: title, alt: title }).bindPopup(popup).addTo(map);
      bounds.push(at);
    });
    if (bounds.length === 1) map.setView(bounds[0], 15);
    else map.fitBounds(bounds, { paddingTopLeft: [24, 48], paddingBottomRight: [24, 24], maxZoom: 15 });  // a marker stands 41 px above its point
  }

  function drawIn(root) {
    if (root.matches && root.matches("[data-listing-map]")) draw(root);
    root.querySelectorAll("[data-listing-map]").forEach(draw);
  }

  drawIn(document);
  // htmx (filters sent without a page load) announces new content with htmx:load.
  document.addEventListener("htmx:load", function (event) {
    drawIn(event.detail.elt);
  });
})();
