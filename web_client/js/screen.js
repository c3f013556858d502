// What the page shows around the avatar, in the page's language: the status chip, the notice
// line, the domain's brand strings, the attract screen and the avatar's state badge. Text is
// looked up by key and kept as data-* attributes, so a language switch re-renders it.

const $ = (id) => document.getElementById(id);

export class Screen {
  /**
   * @param {object} i18n the page's strings (``I18n``)
   * @param {{noticeMs: number}} o noticeMs: how long a notice stays by default (0: until hidden)
   */
  constructor(i18n, { noticeMs }) {
    this.i18n = i18n;
    this.noticeMs = noticeMs;
    this.noticeTimer = null;
  }

  t(key, vars) {
    return this.i18n.t(key, vars);
  }

  /** The status chip (``status.<state>``); ``phase`` goes to ``body[data-phase]``. */
  setStatus(state, phase) {
    const status = $("status");
    status.dataset.state = state;
    const text = $("status-text");
    text.dataset.i18n = `status.${state}`;
    text.textContent = this.t(`status.${state}`);
    document.body.dataset.phase = phase;
  }

  get status() {
    return $("status").dataset.state;
  }

  /** Show notice ``key`` for ``ms`` milliseconds (0: until hidden or replaced). */
  notice(key, vars = {}, { kind = "info", ms = this.noticeMs } = {}) {
    const box = $("notice");
    box.textContent = this.t(key, vars);
    box.dataset.key = key;
    box.dataset.vars = JSON.stringify(vars);
    box.dataset.kind = kind;
    box.hidden = false;
    clearTimeout(this.noticeTimer);
    if (ms) this.noticeTimer = setTimeout(() => (box.hidden = true), ms);
  }

  /** Hide the notice (only when it is notice ``key``, if given). */
  hideNotice(key = null) {
    const box = $("notice");
    if (key === null || box.dataset.key === key) box.hidden = true;
  }

  /** The domain's names of things (brand, attract text, footer), then the page title. */
  applyBrand(domain) {
    const pick = (base) => (this.i18n.has(`${base}_${domain}`) ? `${base}_${domain}` : base);
    const brandKey = this.i18n.has(`brand.${domain}`) ? `brand.${domain}` : "brand.default";
    $("brand-name").dataset.i18n = brandKey;
    document.querySelector(".attract-text").dataset.i18n = pick("attract.text");
    $("cards-empty").dataset.i18n = pick("cards.empty");
    // the footer names what this domain asks for (a card at the bank, a taxpayer ID at the tax
    // hall) and who texts the demo code
    $("footer-privacy").dataset.i18n = pick("footer.privacy");
    $("footer-privacy-short").dataset.i18n = pick("footer.privacy_short");
    $("demo-phone-text").dataset.i18n = pick("footer.demo_phone");
    document.title = `${this.t(brandKey)} · ${this.t("ai.label")}`;
  }

  /** After a language switch: the language buttons, the badge and the notice (the chip is the
   * page's: it knows the phase). */
  relabel(lang) {
    for (const button of document.querySelectorAll(".lang-btn")) {
      button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
    }
    this.showAvatarState($("avatar-state").dataset.state);
    const notice = $("notice");
    if (notice.dataset.key) {
      notice.textContent = this.t(notice.dataset.key, JSON.parse(notice.dataset.vars || "{}"));
    }
  }

  /** The attract screen, with the reason the last session ended (``endedKey``) if any. */
  showAttract(endedKey = null) {
    const ended = $("attract-ended");
    ended.hidden = !endedKey;
    // in the leaving visitor's language: no data-i18n, so a language reset keeps it
    ended.textContent = endedKey ? this.t(endedKey) : "";
    $("attract").hidden = false;
    $("stage").hidden = true;
  }

  hideAttract() {
    $("attract").hidden = true;
    $("stage").hidden = false;
  }

  /** The state badge over the video, in the page's language. */
  showAvatarState(state) {
    const badge = $("avatar-state");
    badge.dataset.state = state;
    badge.textContent = this.i18n.has(`avatar.state.${state}`) ? this.t(`avatar.state.${state}`) : "";
  }
}
