// Kerma pages: chart downloads (SVG as drawn, PNG through a canvas) and confirmations. No external code.
(function () {
  "use strict";

  function fileName(figure, ext) {
    var name = figure.getAttribute("data-chart") || "chart";
    return "kerma-" + name.replace(/[^A-Za-z0-9_-]+/g, "-") + "." + ext;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 2000);
  }

  function svgText(svg) {
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }

  function toPng(svg, name) {
    var box = svg.viewBox && svg.viewBox.baseVal;
    var w = (box && box.width) || svg.clientWidth || 800;
    var h = (box && box.height) || svg.clientHeight || 400;
    var scale = 2;
    var img = new Image();
    var url = URL.createObjectURL(new Blob([svgText(svg)], { type: "image/svg+xml" }));
    img.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = w * scale;
      canvas.height = h * scale;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, w, h);
      URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) { save(blob, name); }, "image/png");
    };
    img.src = url;
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-download]");
    if (!btn) return;
    var figure = btn.closest("figure.chart");
    var svg = figure && figure.querySelector("svg");
    if (!svg) return;
    var kind = btn.getAttribute("data-download");
    if (kind === "svg") save(new Blob([svgText(svg)], { type: "image/svg+xml" }), fileName(figure, "svg"));
    if (kind === "png") toPng(svg, fileName(figure, "png"));
  });

  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });

  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("[data-autosubmit]")) el.form.requestSubmit();
  });
})();
