// Check-in page: read the helper's QR code with the phone camera (BarcodeDetector, Chromium/Android and
// Safari 17+) and submit its short code. Without the API or a camera, the typed-code form still works.
(function () {
  "use strict";
  var box = document.getElementById("scanner");
  var form = document.getElementById("checkin-form");
  if (!box || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  box.hidden = false;
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var start = document.getElementById("scanner-start");
  var input = form.querySelector("input[name=code]");
  var via = document.getElementById("checkin-via");
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  var done = false;

  function scan() {
    if (done) return;
    detector.detect(video).then(function (codes) {
      if (codes.length && !done) {
        done = true;
        input.value = codes[0].rawValue;
        via.value = "qr";
        status.textContent = codes[0].rawValue;
        form.submit();
      } else {
        window.requestAnimationFrame(scan);
      }
    }).catch(function () { window.setTimeout(scan, 300); });
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      return video.play();
    }).then(function () {
      start.hidden = true;
      status.textContent = start.dataset.scanning || "QRコードをカメラに向けてください";
      scan();
    }).catch(function () {
      status.textContent = "カメラを使えません。受付コードを入力してください。";
    });
  });
})();
