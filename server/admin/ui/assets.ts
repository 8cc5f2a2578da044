/**
 * The UI's static files, all from npm packages or this folder, imported as
 * text so that they are part of the program (and of the compiled binary):
 * no CDN, works offline.
 *
 * @module
 */
import htmx from "htmx.org/dist/htmx.min.js" with { type: "text" };
import pico from "@picocss/pico/css/pico.min.css" with { type: "text" };
import appCss from "./static/app.css" with { type: "text" };
import appJs from "./static/app.js" with { type: "text" };

/** A static file: its body and media type. */
export interface Asset {
  body: string;
  type: string;
}

/** The files under /admin/assets/. */
export const ASSETS: Record<string, Asset> = {
  "htmx.min.js": { body: htmx, type: "text/javascript; charset=utf-8" },
  "pico.min.css": { body: pico, type: "text/css; charset=utf-8" },
  "app.css": { body: appCss, type: "text/css; charset=utf-8" },
  "app.js": { body: appJs, type: "text/javascript; charset=utf-8" },
};
