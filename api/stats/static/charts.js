// Two small SVG charts drawn with DOM calls only (textContent, never markup), so no text can
// become HTML. Every mark carries its figure in a data-* attribute (tests and screen readers).
import { svgElement, svgText } from "/web/static/svg.js";

// Bars (e.g. reports received) and a line (e.g. backlog) over the same time axis.
export function barLineChart(container, points, labels) {
  container.replaceChildren();
  const width = 900, height = 280, left = 44, bottom = 40, top = 24;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "data-chart": "trend" }, container);
  svgElement("title", {}, svg).textContent = labels.title;
  const max = Math.max(1, ...points.map(p => Math.max(p.bar, p.line)));
  const step = (width - left - 10) / Math.max(1, points.length);
  const y = value => height - bottom - (value / max) * (height - bottom - top);
  svgText(svg, left - 6, y(max) + 4, String(max), "end");
  svgText(svg, left - 6, y(0) + 4, "0", "end");
  const path = [];
  points.forEach((point, i) => {
    const x = left + i * step;
    const bar = svgElement("rect", { class: "bar", x: x + 1, y: y(point.bar), width: Math.max(1, step - 2),
      height: y(0) - y(point.bar), "data-start": point.label, "data-value": point.bar }, svg);
    svgElement("title", {}, bar).textContent = `${point.label}: ${point.bar}`;
    path.push(`${i ? "L" : "M"}${x + step / 2},${y(point.line)}`);
    if (i % Math.ceil(points.length / 8) === 0) svgText(svg, x, height - bottom + 16, point.label);
  });
  if (points.length) {
    svgElement("path", { class: "line", d: path.join(" "), "data-values": points.map(p => p.line).join(",") }, svg);
  }
  svgText(svg, left, 14, `■ ${labels.bar}   — ${labels.line}`).setAttribute("class", "legend");
}

// Horizontal bars of a rate between 0 and 1, one per row.
export function rateBarChart(container, rows, missingLabel) {
  container.replaceChildren();
  const rowHeight = 22, labelWidth = 330, width = 900;
  const height = Math.max(1, rows.length) * rowHeight + 10;
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "data-chart": "ontime" }, container);
  rows.forEach((row, i) => {
    const y = 5 + i * rowHeight;
    svgText(svg, 0, y + 15, row.label.length > 48 ? row.label.slice(0, 47) + "…" : row.label);
    const rate = row.value === null ? 0 : row.value;
    svgElement("rect", { class: rate < 0.8 ? "bar late" : "bar", x: labelWidth, y: y + 3,
      width: Math.max(1, rate * (width - labelWidth - 70)), height: rowHeight - 6,
      "data-group": row.key, "data-rate": row.value === null ? "" : row.value }, svg);
    svgText(svg, width - 60, y + 15, row.value === null ? missingLabel : `${(rate * 100).toFixed(1)}%`);
  });
}
