/* Camera scan of a Schulbescheinigung's QR code on the verification page.
   Uses the browser's BarcodeDetector where it exists (Chrome, Edge, Android), otherwise the vendored
   jsQR (static/vendor/jsqr). The QR content is put into the text field and the form is sent; the
   server verifies it as if it had been typed. Nothing is sent anywhere else, no frame is stored. */
(function () {
  "use strict";
  var start = document.getElementById("kamera-start");
  var stop = document.getElementById("kamera-stop");
  var video = document.getElementById("kamera-bild");
  var status = document.getElementById("kamera-status");
  var box = document.getElementById("kamera");
  var field = document.getElementById("id_text");
  if (!start || !video || !field) return;
  if (!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) {
    status.textContent = "Dieser Browser kann nicht auf eine Kamera zugreifen. Laden Sie stattdessen ein Foto oder einen Scan hoch.";
    return;
  }
  box.hidden = false;
  var PREFIX = "MISSIMO-SB1:";
  var stream = null, detector = null, canvas = document.createElement("canvas"), running = false;

  function say(text) { status.textContent = text; }

  function finish(text) {
    halt();
    field.value = text;
    say("QR-Code gelesen. Die Bescheinigung wird geprüft …");
    field.form.submit();
  }

  function halt() {
    running = false;
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function look() {
    if (!running) return;
    if (video.readyState < 2) { window.requestAnimationFrame(look); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        var hit = codes.map(function (c) { return c.rawValue; }).filter(function (t) { return t.indexOf(PREFIX) === 0; })[0];
        if (hit) finish(hit); else window.setTimeout(look, 150);
      }).catch(function () { detector = null; window.setTimeout(look, 150); });
      return;
    }
    if (typeof window.jsQR !== "function") { say("Die Erkennung ist nicht verfügbar. Laden Sie ein Foto hoch."); halt(); return; }
    var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 960 / Math.max(w, h));
    canvas.width = Math.round(w * scale); canvas.height = Math.round(h * scale);
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    if (code && code.data.indexOf(PREFIX) === 0) finish(code.data); else window.setTimeout(look, 200);
  }

  function begin() {
    var ready = Promise.resolve();
    if ("BarcodeDetector" in window) {
      ready = window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") >= 0) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      }).catch(function () { detector = null; });
    }
    ready.then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stop.hidden = false;
      start.hidden = true;
      running = true;
      say("Halten Sie den QR-Code der Bescheinigung vor die Kamera.");
      return video.play();
    }).then(look).catch(function (error) {
      halt();
      say(error && error.name === "NotAllowedError"
        ? "Der Zugriff auf die Kamera wurde nicht erlaubt. Erlauben Sie ihn in den Einstellungen des Browsers oder laden Sie ein Foto hoch."
        : "Die Kamera lässt sich nicht starten. Laden Sie stattdessen ein Foto oder einen Scan hoch.");
    });
  }

  start.addEventListener("click", begin);
  stop.addEventListener("click", function () { halt(); say("Kamera beendet."); });
})();
