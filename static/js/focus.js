// The focus point editor of a photo's edit page (templates/assets/_focus.html): a tap or click on
// the picture sets the two percentage inputs, a marker shows the point and an outline each
// format's cut, computed as media/crops.py crops: the largest box of the ratio, centred on the
// point, pushed back inside the picture. Typing in the inputs moves them too. Without this
// script the inputs alone do the job.
(function () {
  "use strict";
  var picture = document.querySelector("[data-focus-picture]");
  var inputX = document.getElementById("focus_x");
  var inputY = document.getElementById("focus_y");
  if (!picture || !inputX || !inputY) {
    return;
  }
  var width = Number(picture.dataset.width);
  var height = Number(picture.dataset.height);
  var frames = JSON.parse(picture.dataset.frames || "[]");
  if (!(width > 0 && height > 0)) {
    return; // dimensions unknown: the numbers still work
  }
  var marker = picture.querySelector(".focus-marker");
  var outlines = frames.map(function (frame, index) {
    var outline = document.createElement("span");
    outline.className = "focus-frame focus-frame-" + (index + 1);
    outline.setAttribute("aria-hidden", "true");
    var label = document.createElement("span");
    label.className = "focus-frame-label";
    label.textContent = frame.short || frame.label; // short: it must fit a narrow outline
    outline.appendChild(label);
    picture.appendChild(outline);
    return outline;
  });
  var legend = picture.parentNode.querySelector(".focus-legend");
  if (legend) {
    legend.hidden = false;
  }
  marker.hidden = false;

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  function percent(input) {
    var value = parseFloat(input.value);
    return isFinite(value) ? clamp(value, 0, 100) / 100 : 0.5;
  }

  // The same box as crops.crop_box, in fractions of the picture.
  function box(frame, fx, fy) {
    var boxW, boxH;
    if (width * frame.height >= height * frame.width) {
      boxH = height;
      boxW = Math.min(width, Math.max(1, Math.round((height * frame.width) / frame.height)));
    } else {
      boxW = width;
      boxH = Math.min(height, Math.max(1, Math.round((width * frame.height) / frame.width)));
    }
    var left = clamp(Math.round(fx * width - boxW / 2), 0, width - boxW);
    var top = clamp(Math.round(fy * height - boxH / 2), 0, height - boxH);
    return { left: left / width, top: top / height, width: boxW / width, height: boxH / height };
  }

  function draw() {
    var fx = percent(inputX);
    var fy = percent(inputY);
    marker.style.left = fx * 100 + "%";
    marker.style.top = fy * 100 + "%";
    frames.forEach(function (frame, index) {
      var cut = box(frame, fx, fy);
      var style = outlines[index].style;
      style.left = cut.left * 100 + "%";
      style.top = cut.top * 100 + "%";
      style.width = cut.width * 100 + "%";
      style.height = cut.height * 100 + "%";
    });
  }

  picture.addEventListener("click", function (event) {
    var rect = picture.getBoundingClientRect();
    if (!rect.width || !rect.height) {
      return;
    }
    var fx = clamp((event.clientX - rect.left) / rect.width, 0, 1);
    var fy = clamp((event.clientY - rect.top) / rect.height, 0, 1);
    inputX.value = (fx * 100).toFixed(1);
    inputY.value = (fy * 100).toFixed(1);
    draw();
  });
  inputX.addEventListener("input", draw);
  inputY.addEventListener("input", draw);
  draw();
})();
