// Copies browser libraries from node_modules into static/vendor/ so Django serves them (no CDN).
import { copyFileSync, mkdirSync } from "node:fs";

const files = [["node_modules/htmx.org/dist/htmx.min.js", "static/vendor/htmx.min.js"]];
mkdirSync("static/vendor", { recursive: true });
for (const [from, to] of files) copyFileSync(from, to);
