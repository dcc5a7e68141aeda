// Inline SVG charts: a cumulative line over time and a bar per task. Each chart says in words what it shows.
"use strict";

(function () {
  const SF = (window.SF = window.SF || {});
  const { svg, h } = SF;

  const H = 200;
  // Drawn at the container's real width, so text stays at its CSS size; redrawn when the window resizes.
  const width = (container) => Math.max(320, Math.floor(container.clientWidth || 600));
  const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

  function empty(container, text) {
    SF.clear(container).append(h("p", { class: "muted" }, text));
  }

  // points: [{x, y}] with x in seconds since the start; opts: {label, format, limit, limitLabel}
  SF.lineChart = function (container, points, opts) {
    if (!points.length) {
      empty(container, "No model calls yet.");
      return;
    }
    const W = width(container);
    const maxX = Math.max(1, points[points.length - 1].x);
    let maxY = Math.max(...points.map((p) => p.y), 0);
    // A budget far above the spend would flatten the line; it shows once the spend nears it.
    const limit = opts.limit && maxY >= opts.limit * 0.5 ? opts.limit : null;
    if (limit && limit > maxY) maxY = limit;
    if (maxY <= 0) maxY = 1;
    const innerW = W - PAD.left - PAD.right;
    const innerH = H - PAD.top - PAD.bottom;
    const sx = (x) => PAD.left + (x / maxX) * innerW;
    const sy = (y) => PAD.top + innerH - (y / maxY) * innerH;
    let d = `M ${sx(0).toFixed(1)} ${sy(0).toFixed(1)}`;
    for (const p of points) d += ` L ${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`;
    const last = points[points.length - 1];
    const summary = `${opts.label}: ${opts.format(last.y)} after ${SF.duration(last.x)}` +
      (opts.limit ? ` of a ${opts.format(opts.limit)} budget` : "");
    const chart = svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": summary, class: "line-chart" },
      svg("title", {}, summary),
      svg("line", { x1: PAD.left, y1: sy(0), x2: W - PAD.right, y2: sy(0), class: "axis" }),
      svg("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: sy(0), class: "axis" }),
      svg("text", { x: PAD.left - 6, y: sy(maxY) + 4, "text-anchor": "end", class: "tick" }, opts.format(maxY)),
      svg("text", { x: PAD.left - 6, y: sy(0), "text-anchor": "end", class: "tick" }, opts.format(0)),
      svg("text", { x: PAD.left, y: H - 8, class: "tick" }, "0s"),
      svg("text", { x: W - PAD.right, y: H - 8, "text-anchor": "end", class: "tick" }, SF.duration(maxX)),
      limit
        ? [
            svg("line", { x1: PAD.left, y1: sy(limit), x2: W - PAD.right, y2: sy(limit), class: "limit" }),
            svg("text", { x: W - PAD.right, y: sy(limit) - 4, "text-anchor": "end", class: "tick" },
              opts.limitLabel || "budget"),
          ]
        : null,
      svg("path", { d: d, class: "series" }),
    );
    SF.clear(container).append(chart);
  };

  // bars: [{label, value}] drawn largest first.
  SF.barChart = function (container, bars, opts) {
    const W = width(container);
    const shown = bars.filter((b) => b.value > 0).sort((a, b) => b.value - a.value);
    if (!shown.length) {
      empty(container, "No task has spent anything yet.");
      return;
    }
    const row = 20;
    const labelW = 110;
    const valueW = 90;
    const height = shown.length * row + 8;
    const max = shown[0].value;
    const innerW = W - labelW - valueW;
    const summary = `${opts.label}: ${shown.length} tasks, highest ${shown[0].label} at ${opts.format(max)}`;
    const chart = svg(
      "svg",
      { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": summary, class: "bar-chart" },
      svg("title", {}, summary),
      shown.map((b, i) => {
        const y = 4 + i * row;
        const width = Math.max(1, (b.value / max) * innerW);
        return svg(
          "g",
          {},
          svg("text", { x: labelW - 6, y: y + 13, "text-anchor": "end", class: "tick" }, b.label),
          svg("rect", { x: labelW, y: y + 2, width: width.toFixed(1), height: row - 6, class: "bar" }),
          svg("text", { x: labelW + width + 4, y: y + 13, class: "tick" }, opts.format(b.value)),
        );
      }),
    );
    SF.clear(container).append(chart);
  };
})();
