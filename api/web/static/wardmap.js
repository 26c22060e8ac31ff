// Hanoi's 126 wards as SVG (outlines projected on the server: /web/wards.json), with zoom
// (wheel, buttons, +/- keys) and pan (drag, arrow keys). Wards are coloured by a class the page
// picks; report markers sit at their position (Web Mercator, the server's formula). With a tile
// URL configured, raster tiles are drawn under the wards; without one the map works offline.
import { svgElement } from "./svg.js";

const TILE = 256;

export async function loadWards() {
  const response = await fetch("/web/wards.json");
  return response.json();
}

export class WardMap {
  constructor(container, outlines, { label, tileUrl, onWard } = {}) {
    this.outlines = outlines;
    this.tileUrl = tileUrl;
    this.view = { x: 0, y: 0, width: outlines.width, height: outlines.height };
    container.replaceChildren();
    this.svg = svgElement("svg", { class: "wardmap", role: "img", tabindex: 0, "aria-label": label || "",
                                   "data-wards": outlines.wards.length }, container);
    this.tiles = svgElement("g", { class: "tiles" }, this.svg);
    this.wardLayer = svgElement("g", { class: "wards" }, this.svg);
    this.markerLayer = svgElement("g", { class: "markers" }, this.svg);
    this.paths = new Map();
    for (const ward of outlines.wards) {
      const path = svgElement("path", { d: ward.path, class: "ward", "data-ward": ward.code }, this.wardLayer);
      svgElement("title", {}, path).textContent = ward.name;
      if (onWard) path.addEventListener("click", () => onWard(ward));
      this.paths.set(ward.code, path);
    }
    this.bindGestures();
    this.render();
  }

  // pixel position of a point at the server's zoom, relative to the map's corner
  project(lat, lng) {
    const scale = TILE * 2 ** this.outlines.zoom;
    const sin = Math.sin(lat * Math.PI / 180);
    return [(lng + 180) / 360 * scale - this.outlines.origin[0],
            (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale - this.outlines.origin[1]];
  }

  // style(code) -> { className, title } for each ward; wards it returns nothing for stay plain
  colour(style) {
    for (const [code, path] of this.paths) {
      const look = style(code) || {};
      path.setAttribute("class", `ward ${look.className || ""}`.trim());
      path.querySelector("title").textContent = look.title || this.outlines.wards.find(w => w.code === code).name;
      if (look.value !== undefined) path.dataset.value = look.value; else delete path.dataset.value;
    }
  }

  // markers: [{ lat, lng, className, title, id, onClick }]
  setMarkers(markers) {
    this.markerLayer.replaceChildren();
    this.markers = markers;
    for (const marker of markers) {
      const [x, y] = this.project(marker.lat, marker.lng);
      const dot = svgElement("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 6, class: `marker ${marker.className || ""}`,
                                         "data-report": marker.id, tabindex: 0, role: "button",
                                         "aria-label": marker.title }, this.markerLayer);
      svgElement("title", {}, dot).textContent = marker.title;
      dot.addEventListener("click", () => marker.onClick());
      dot.addEventListener("keydown", event => { if (event.key === "Enter") marker.onClick(); });
    }
    this.render();
  }

  zoom(factor, cx = this.view.x + this.view.width / 2, cy = this.view.y + this.view.height / 2) {
    const width = Math.min(this.outlines.width * 2, Math.max(40, this.view.width / factor));
    const ratio = width / this.view.width;
    this.view = { x: cx - (cx - this.view.x) * ratio, y: cy - (cy - this.view.y) * ratio,
                  width, height: this.view.height * ratio };
    this.render();
  }

  pan(dx, dy) {
    this.view.x += dx * this.view.width;
    this.view.y += dy * this.view.height;
    this.render();
  }

  reset() {
    this.view = { x: 0, y: 0, width: this.outlines.width, height: this.outlines.height };
    this.render();
  }

  render() {
    const { x, y, width, height } = this.view;
    this.svg.setAttribute("viewBox", `${x} ${y} ${width} ${height}`);
    // map units per screen pixel (the viewBox is fitted whole): markers and lines keep their screen size
    const unit = Math.max(width / (this.svg.clientWidth || 800), height / (this.svg.clientHeight || 600));
    this.markerLayer.querySelectorAll("circle").forEach(dot => dot.setAttribute("r", (7 * unit).toFixed(2)));
    this.svg.style.setProperty("--stroke", (0.8 * unit).toFixed(3));
    if (this.tileUrl) this.drawTiles();
  }

  // tiles of the zoom level closest to the view's scale, covering the view
  drawTiles() {
    const pixelsPerUnit = (this.svg.clientWidth || 800) / this.view.width;
    const z = Math.max(0, Math.min(19, Math.round(this.outlines.zoom + Math.log2(pixelsPerUnit))));
    const size = TILE * 2 ** (this.outlines.zoom - z);  // one tile in map units
    const [ox, oy] = this.outlines.origin;
    const first = [Math.floor((this.view.x + ox) / size), Math.floor((this.view.y + oy) / size)];
    const last = [Math.floor((this.view.x + this.view.width + ox) / size), Math.floor((this.view.y + this.view.height + oy) / size)];
    this.tiles.replaceChildren();
    for (let tx = first[0]; tx <= last[0]; tx++) {
      for (let ty = first[1]; ty <= last[1]; ty++) {
        const href = this.tileUrl.replace("{z}", z).replace("{x}", tx).replace("{y}", ty);
        svgElement("image", { href, x: tx * size - ox, y: ty * size - oy, width: size, height: size }, this.tiles);
      }
    }
  }

  bindGestures() {
    this.svg.addEventListener("wheel", event => {
      event.preventDefault();
      const box = this.svg.getBoundingClientRect();
      const cx = this.view.x + (event.clientX - box.left) / box.width * this.view.width;
      const cy = this.view.y + (event.clientY - box.top) / box.height * this.view.height;
      this.zoom(event.deltaY < 0 ? 1.25 : 0.8, cx, cy);
    }, { passive: false });
    let drag = null;
    this.svg.addEventListener("pointerdown", event => {
      if (event.target.classList.contains("marker")) return;
      drag = { x: event.clientX, y: event.clientY };
    });
    window.addEventListener("pointerup", () => { drag = null; });
    this.svg.addEventListener("pointermove", event => {
      if (!drag) return;
      const box = this.svg.getBoundingClientRect();
      this.pan(-(event.clientX - drag.x) / box.width, -(event.clientY - drag.y) / box.height);
      drag = { x: event.clientX, y: event.clientY };
    });
    this.svg.addEventListener("keydown", event => {
      const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] };
      if (moves[event.key]) { event.preventDefault(); this.pan(...moves[event.key]); }
      else if (event.key === "+" || event.key === "=") this.zoom(1.25);
      else if (event.key === "-") this.zoom(0.8);
      else if (event.key === "0") this.reset();
    });
  }
}

// a ward's share of the maximum, as one of five classes (choropleth steps, CSS colours them)
export function step(value, max) {
  if (value === null || value === undefined) return "step-none";
  return `step-${Math.min(4, Math.floor((max ? value / max : 0) * 5))}`;
}
