// The page's deployment switches: config.json beside the page over the defaults below, then
// the URL's ?domain=bank|tax, ?lang=en|zh and ?camera=ask|on|off.

import { LANGUAGES } from "./i18n.js";

export const DEFAULTS = {
  domain: "bank",
  ui_language: "en",
  session_language: "auto",
  camera: "ask", // "ask": on-screen consent; "on": pre-accepted (demos); "off": never
  ice_servers: [],
  reconnect_delays_ms: [500, 1000, 2000, 4000, 8000, 15000],
  // a refused offer (a 4xx other than 429) is a setup mistake (a misspelt ?domain, a wrong
  // ?token): staff must fix it, so the page says so and only checks again this seldom
  config_retry_ms: 60000,
  notice_ms: 9000,
};

/** The configuration: defaults, config.json (when it loads), then the URL's switches. */
export async function loadConfig(params) {
  let config = { ...DEFAULTS };
  try {
    const response = await fetch("config.json", { cache: "no-cache" });
    if (response.ok) config = { ...config, ...(await response.json()) };
  } catch (error) {
    console.info("config.json not loaded, using defaults:", error);
  }
  if (params.get("domain")) config.domain = params.get("domain");
  if (LANGUAGES.includes(params.get("lang"))) config.ui_language = params.get("lang");
  if (["ask", "on", "off"].includes(params.get("camera"))) config.camera = params.get("camera");
  return config;
}
