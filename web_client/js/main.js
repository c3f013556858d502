// Boots the visitor page: reads the URL switches and config.json (config.js), loads the first
// language, makes the VisitorPage (app.js: the session's lifecycle), enables Start, shows the
// demo phone link when the server has one, and in kiosk mode starts at once. A page that
// cannot boot says so on its attract screen.
//
// URL switches: ?kiosk=1 (start on load, back to the attract screen when a session ends, a
// fresh session when the visitor walks away), ?debug=1 (latency and perception overlay),
// ?lang=en|zh, ?domain=bank|tax, ?camera=ask|on|off. Deployment switches live in config.json
// beside this page (config.js).

import { VisitorPage } from "./app.js";
import { loadConfig } from "./config.js";
import { I18n } from "./i18n.js";

const $ = (id) => document.getElementById(id);

/** Show the demo phone link when the server runs its embedded sandboxes (the page exists). */
async function offerDemoPhone() {
  try {
    const response = await fetch("demo/phone.json", { cache: "no-store" });
    $("demo-phone-link").hidden = !response.ok;
  } catch {
    /* no demo phone: the link stays hidden */
  }
}

async function main() {
  const params = new URLSearchParams(location.search);
  const flags = { kiosk: params.get("kiosk") === "1", debug: params.get("debug") === "1" };
  const config = await loadConfig(params);
  const i18n = new I18n("i18n/");
  await i18n.use(config.ui_language);
  const page = new VisitorPage(config, i18n, flags);
  await page.switchLanguage(config.ui_language, { tell: false });
  document.body.dataset.kiosk = String(flags.kiosk);
  // Start is disabled in the HTML until here: a tap before its handler was bound did nothing
  $("start").disabled = false;
  page.showAttract();
  await offerDemoPhone();
  document.body.dataset.ready = "true";
  if (flags.kiosk) page.start();
}

main().catch((error) => {
  console.error(error);
  const box = document.getElementById("attract-ended");
  box.textContent = `The page could not start: ${error?.message ?? error}`;
  box.hidden = false;
});
