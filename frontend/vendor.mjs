// Copies browser libraries from node_modules into static/vendor/ so Django serves them (no CDN).
// Source-map comments are stripped on the way: the maps are not vendored, and the production build's
// manifest storage (collectstatic) refuses a file that names a missing one.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

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
// "//# sourceMappingURL=..." (JavaScript) and "/*# sourceMappingURL=... */" (CSS), on a line of their own.
const sourceMapComment = /^[ \t]*(?:\/\/[#@] sourceMappingURL=.*|\/\*[#@] sourceMappingURL=.*?\*\/)[ \t]*\r?\n?/gm;

mkdirSync("static/vendor/leaflet/images", { recursive: true });
for (const [from, to] of files) {
  if (/\.(js|css)$/.test(from)) {
    writeFileSync(to, readFileSync(from, "utf8").replace(sourceMapComment, ""));
  } else {
    copyFileSync(from, to);
  }
}
