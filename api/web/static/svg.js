// SVG built with DOM calls only (attributes and textContent, never markup), so no text can
// become HTML; shared by the dashboard's charts and the ward maps.
const SVG = "http://www.w3.org/2000/svg";

export function svgElement(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

export function svgText(parent, x, y, text, anchor) {
  const node = svgElement("text", { x, y, "text-anchor": anchor || "start" }, parent);
  node.textContent = text;
  return node;
}

// an HTML element with text (never markup) and attributes
export function element(name, attributes, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? "" : String(value));
  }
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
