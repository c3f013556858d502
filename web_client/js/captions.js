// Live captions: the visitor's words (partial, then final) and the avatar's reply text.

// A full card, account, ID or phone number the visitor typed is masked to its last 4 digits
// before it reaches the (large, public) caption, as the server masks it for the dialog and its
// logs (dialog/sensitive.py `redact`: runs of 10–19 digits, a resident ID's 18 characters with
// a final X; blocks of 3–8 digits joined by one space or hyphen count as one run). Spoken
// transcripts arrive already masked by the server.
const MASK = "••••";
const DIGIT_RUN = /(?<![0-9])(?:[0-9]{10,22}|[0-9]{3,8}(?:[ -][0-9]{3,8})+)(?:[ -]?[Xx])?(?![0-9])/g;

/** ``text`` with each personal number replaced by "•••• 1234" (its last 4 digits). */
export function maskNumbers(text) {
  return text.replace(DIGIT_RUN, (run) => {
    const digits = run.replace(/[ -]/g, "");
    const personal = /^[0-9]{10,19}$/.test(digits) || /^[0-9]{17}[0-9Xx]$/.test(digits);
    return personal ? `${MASK} ${digits.slice(-4)}` : run;
  });
}

export class Captions {
  /** @param {HTMLElement} avatarEl @param {HTMLElement} visitorEl @param {{t: Function}} i18n */
  constructor(avatarEl, visitorEl, i18n) {
    this.avatarEl = avatarEl;
    this.visitorEl = visitorEl;
    this.i18n = i18n;
    this.turn = null;
    this.labels();
  }

  labels() {
    this.avatarEl.dataset.who = this.i18n.t("caption.assistant");
    this.visitorEl.dataset.who = this.i18n.t("caption.you");
  }

  /** The visitor's words; ``final`` false shows them as provisional. */
  visitor(text, final, language) {
    this.visitorEl.textContent = text;
    this.visitorEl.dataset.final = final ? "true" : "false";
    if (language) this.visitorEl.lang = language === "zh" ? "zh-CN" : "en";
    this.reveal();
  }

  /** A reply: replies of one turn are spoken back to back, so they read as one caption. */
  avatar(text, language, turnId) {
    if (turnId && turnId === this.turn && this.avatarEl.textContent) {
      const sep = language === "zh" ? "" : " ";
      this.avatarEl.textContent = `${this.avatarEl.textContent}${sep}${text}`;
    } else {
      this.avatarEl.textContent = text;
    }
    this.turn = turnId ?? null;
    if (language) this.avatarEl.lang = language === "zh" ? "zh-CN" : "en";
    this.reveal();
  }

  /** Keep the newest words in view when the caption box scrolls (a long answer). */
  reveal() {
    const box = this.avatarEl.parentElement;
    if (box) box.scrollTop = box.scrollHeight;
  }

  /** The page switched to ``lang``: the avatar's caption in another language is cleared (its
   * next answer comes in ``lang``); the visitor's own words stay. */
  languageChanged(lang) {
    const shown = this.avatarEl.lang === "zh-CN" ? "zh" : "en";
    if (this.avatarEl.textContent && shown !== lang) {
      this.avatarEl.textContent = "";
      this.turn = null;
    }
  }

  clear() {
    this.avatarEl.textContent = "";
    this.visitorEl.textContent = "";
    this.visitorEl.dataset.final = "true";
    this.turn = null;
  }
}
