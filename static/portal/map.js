// Maps, enhanced: where JavaScript runs, Leaflet (vendored from npm) replaces the static SVG map of a
// program page with one that can be moved and zoomed, and gives staff a map on which a tap places the
// meeting point (filling the latitude and longitude fields, which can still be typed). Without
// JavaScript both pages work as they are. Tiles: 地理院タイル, as the SVG map; texts come from the page.
(function () {
  "use strict";
  var L = window.L;
  if (!L) return;
  var script = document.currentScript || document.querySelector("script[data-leaflet-images]");
  if (script) L.Icon.Default.imagePath = script.getAttribute("data-leaflet-images");

  function makeMap(canvas, holder) {
    var lat = parseFloat(holder.dataset.lat), lng = parseFloat(holder.dataset.lng);
    var map = L.map(canvas, { scrollWheelZoom: false }).setView([lat, lng], parseInt(holder.dataset.zoom, 10));
    var credit = holder.querySelector("[data-attribution]");
    L.tileLayer(holder.dataset.tiles, {
      maxZoom: 18,
      attribution: credit ? credit.innerHTML : "",
    }).addTo(map);
    if (credit) credit.hidden = true; // Leaflet shows the credit on the map itself
    canvas.setAttribute("role", "region");
    canvas.setAttribute("aria-label", holder.dataset.label || "");
    return map;
  }

  // A program page: the SVG becomes a Leaflet map with the same marker.
  document.querySelectorAll("[data-map]").forEach(function (figure) {
    var svg = figure.querySelector("svg");
    var canvas = document.createElement("div");
    canvas.className = "map-canvas";
    canvas.setAttribute("data-testid", "live-map");
    figure.insertBefore(canvas, svg);
    var map = makeMap(canvas, figure);
    L.marker([parseFloat(figure.dataset.lat), parseFloat(figure.dataset.lng)], { keyboard: false }).addTo(map);
    svg.remove();
  });

  // Staff's program form: tap the map to set the meeting point.
  document.querySelectorAll("[data-map-picker]").forEach(function (picker) {
    var latInput = document.getElementById(picker.dataset.latInput);
    var lngInput = document.getElementById(picker.dataset.lngInput);
    var status = picker.querySelector("[data-picker-status]");
    if (!latInput || !lngInput) return;
    picker.hidden = false;
    var map = makeMap(picker.querySelector("[data-canvas]"), picker);
    var marker = null;

    function place(lat, lng) {
      if (marker) marker.setLatLng([lat, lng]);
      else marker = L.marker([lat, lng], { keyboard: false }).addTo(map);
    }
    function fromInputs() {
      var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
      if (!isNaN(lat) && !isNaN(lng)) {
        place(lat, lng);
        return true;
      }
      return false;
    }
    if (fromInputs()) map.setView(marker.getLatLng(), map.getZoom());
    map.on("click", function (event) {
      var lat = event.latlng.lat.toFixed(6), lng = event.latlng.lng.toFixed(6);
      latInput.value = lat;
      lngInput.value = lng;
      place(lat, lng);
      if (status) status.textContent = picker.dataset.placedText + " " + lat + ", " + lng;
    });
    latInput.addEventListener("change", fromInputs);
    lngInput.addEventListener("change", fromInputs);
  });
})();
