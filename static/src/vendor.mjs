// Copies browser libraries from node_modules into static/vendor/ so Django serves them (no CDN).
import { copyFileSync, mkdirSync } from "node:fs";

const leaflet = "node_modules/leaflet/dist";
const files = [
  ["node_modules/htmx.org/dist/htmx.min.js", "static/vendor/htmx.min.js"],
  [`${leaflet}/leaflet.js`, "static/vendor/leaflet/leaflet.js"],
  [`${leaflet}/leaflet.css`, "static/vendor/leaflet/leaflet.css"],
  ...["marker-icon.png", "marker-icon-2x.png", "marker-shadow.png", "layers.png", "layers-2x.png"].map((name) => [
    `${leaflet}/images/${name}`,
    `static/vendor/leaflet/images/${name}`,
  ]),
];
mkdirSync("static/vendor/leaflet/images", { recursive: true });
for (const [from, to] of files) copyFileSync(from, to);
