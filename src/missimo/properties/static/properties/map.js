/* Maps of the Immobilienkataster (Leaflet). No inline script: data comes from data- attributes
   and the JSON endpoint of the list, scoped like the list itself. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  var COLOURS = { rot: "rot", gelb: "gelb", gruen: "gruen", offen: "offen" };

  function baseMap(element, options) {
    var map = L.map(element, Object.assign({ zoomControl: false, attributionControl: true, minZoom: 3, maxZoom: 19 }, options || {}));
    L.control.zoom({ zoomInTitle: "Vergrößern", zoomOutTitle: "Verkleinern" }).addTo(map);
    map.attributionControl.setPrefix(false);
    var tiles = element.getAttribute("data-tiles");
    if (tiles) {
      var layer = L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" });
      watchTiles(element, layer);
      layer.addTo(map);
    } else {
      element.classList.add("property-map--blank");
    }
    return map;
  }

  /* A clear message when the background cannot be loaded (no internet in the city network, the tile
     service down): the markers stay usable, the grey area is explained instead of looking broken. */
  function watchTiles(element, layer) {
    var loaded = 0, failed = 0, shown = false;
    var note = document.getElementById(element.getAttribute("data-tile-message") || "");
    function show() {
      if (shown || loaded > 0 || !note) return;
      shown = true;
      element.classList.add("property-map--blank");
      element.setAttribute("data-tiles-failed", "true");
      note.hidden = false;
      note.textContent = "Die Hintergrundkarte kann nicht geladen werden – der Kartendienst ist aus dem " +
        "Netz Ihrer Stadt nicht erreichbar oder gestört. Die Objekte werden ohne Hintergrund gezeigt; " +
        "ihre Adressen stehen in der Liste bzw. unter „Lage“.";
    }
    layer.on("tileload", function () {
      loaded += 1;
      if (shown && note) { note.hidden = true; element.classList.remove("property-map--blank"); shown = false; }
    });
    layer.on("tileerror", function () { failed += 1; if (failed >= 2) show(); });
    window.setTimeout(function () { if (loaded === 0) show(); }, 8000);
  }

  function icon(ampel) {
    var colour = COLOURS[ampel] || "offen";
    return L.divIcon({ className: "ampel-marker ampel-marker--" + colour, iconSize: [18, 18] });
  }

  function propertyMarker(lat, lon, label, ampel, url) {
    var marker = L.marker([lat, lon], { icon: icon(ampel), title: label, alt: label, keyboard: true });
    if (url) {
      var link = document.createElement("a");
      link.href = url;
      link.className = "kern-link";
      link.textContent = label;
      marker.bindPopup(link);
    }
    return marker;
  }

  var list = document.getElementById("objekte-karte");
  if (list) {
    var map = baseMap(list);
    map.setView([51.5, 7.2], 12);
    var cluster = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false }) : L.featureGroup();
    cluster.addTo(map);
    fetch(list.getAttribute("data-markers"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var markers = data.markers.map(function (m) {
          return propertyMarker(m.lat, m.lon, m.label + " – Ampel " + m.ampel_label + ", " + m.hints + " Hinweise", m.ampel, m.url);
        });
        cluster.addLayers ? cluster.addLayers(markers) : markers.forEach(function (m) { cluster.addLayer(m); });
        if (markers.length) {
          map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 17 });
        }
        var status = document.getElementById("karte-status");
        if (status) {
          status.textContent = data.total > markers.length
            ? "Die Karte zeigt die ersten " + markers.length.toLocaleString("de-DE") + " von " +
              data.total.toLocaleString("de-DE") + " Objekten dieser Auswahl (in der Reihenfolge der Liste). " +
              "Grenzen Sie die Auswahl mit den Filtern ein, um alle zu sehen."
            : markers.length.toLocaleString("de-DE") + " Objekte auf der Karte.";
        }
        list.setAttribute("data-loaded", String(markers.length));
      });
  }

  var single = document.getElementById("objekt-karte");
  if (single) {
    var lat = parseFloat(single.getAttribute("data-lat"));
    var lon = parseFloat(single.getAttribute("data-lon"));
    var one = baseMap(single);
    one.setView([lat, lon], 17);
    propertyMarker(lat, lon, single.getAttribute("data-label"), single.getAttribute("data-ampel"), null).addTo(one);
    single.setAttribute("data-loaded", "1");
  }
})();
