// Live captions: the visitor's words (partial, then final) and the avatar's reply text.

// A full card, account, ID or phone number the visitor typed is masked to its last 4 digits
// before it reaches the (large, public) caption. This is a copy of the server's rule
// (dialog/sensitive.py `redact`, which masks it for the dialog and its logs, and masks spoken
// transcripts before they are sent here), and it must stay: the page shows a typed line the
// moment it is sent, and the server never sends a typed line back (its `transcript` events are
// ASR results; a typed turn only gets `reply` events). Keep the two the same rule:
// tests/e2e/test_visitor_page.py runs both on the same samples (tests/support/redaction.py).
//   * runs of 10 or more digits, or blocks of 3–8 joined by one space or hyphen, an ID's final X
//     allowed, a block also digits grouped by commas (6,222,021 234 566 780); digits as typed or
//     as Chinese numerals (幺三八…);
//   * runs of 10–22 English digit words (one three eight …);
//   * a run is masked when it is personal: 10 or more digits (card, account, phone; a longer
//     run, a card number with a digit too many, is as private), or 18 characters whose last
//     is a digit or X (a resident ID).
//   * before those, a PIN or password said with its value (a token holding a digit, 4 or more
//     digit words, digits said apart) is hidden whole: "my pin is ••••", 我的密码是••••.
const MASK = "••••";
const CJK_DIGITS = { 零: "0", 〇: "0", 一: "1", 幺: "1", 二: "2", 两: "2", 三: "3", 四: "4",
  五: "5", 六: "6", 七: "7", 八: "8", 九: "9" };
const D = "[0-9零〇一幺二两三四五六七八九]";
// a block may be digits grouped by commas, as Whisper writes a long number (6,222,021 234 …);
// a run never starts or ends inside such a group, and one with a decimal fraction is an amount; four
// or more blocks of exactly four digits may be joined by ", " (6222, 0212, 3456, 6780); five or
// more blocks of 1-4 digits joined by single spaces are a number read digit by digit (622 0 2 1 …)
const GROUPED = `${D}{1,8}(?:,${D}{1,8})+`;
const BLOCK = `(?:${GROUPED}|${D}{3,8})`;
const DIGIT_RUN = new RegExp(
  `(?<!${D})(?<!${D},)` +
    `(?:${D}{10,}|${GROUPED}(?:[ \\-]${BLOCK})*(?!\\.[0-9])|${D}{3,8}(?:[ \\-]${BLOCK})+` +
    `|${D}{4}(?:, ${D}{4}){3,}(?:, ${D}{3})?|${D}{1,4}(?: ${D}{1,4}){4,}` +
    // newcomer19: comma groups of mixed size (622, 021, 2, 3, …), a digit per hyphen, dots
    `|${D}{1,4}(?:, ${D}{1,4}){4,}|${D}{1,4}(?:-${D}{1,4}){4,}` +
    `|${D}{3,8}(?:\\.${D}{3,8}){2,}(?!\\.[0-9]))` +
    `(?:[ \\-]?[Xx])?(?!${D})(?!,${D})`,
  "gu",
);
const WORDS = { zero: "0", oh: "0", o: "0", one: "1", two: "2", three: "3", four: "4",
  five: "5", six: "6", seven: "7", eight: "8", nine: "9" };
const WORD = "(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)";
// Python's \b, which counts any letter or digit (Chinese characters too) as part of a word
const NOT_WORD_BEFORE = "(?<![\\p{L}\\p{N}_])";
const NOT_WORD_AFTER = "(?![\\p{L}\\p{N}_])";
const WORD_RUN = new RegExp(
  `${NOT_WORD_BEFORE}(?:${WORD}[\\s,\\-]+){9,21}${WORD}${NOT_WORD_AFTER}`,
  "giu",
);
// a PIN said as 4 or more digit words ("four eight three one")
const SPOKEN_VALUE = `${NOT_WORD_BEFORE}${WORD}(?:[\\s,\\-]+${WORD}){3,}${NOT_WORD_AFTER}`;
const SPOKEN_VALUE_ONLY = new RegExp(`^${SPOKEN_VALUE}$`, "iu");

// A PIN or password said with its value ("my pin is 4831", 我的密码是832915) is hidden whole
// (the server's _SECRET / _SECRET_ZH, applied first there too); a value with no digit stays.
const SECRET_CHAR = "[^\\s,.;!?，。；！？]";
const SECRET = new RegExp(
  `(${NOT_WORD_BEFORE}(?:pin(?:\\s+(?:code|number))?|passcode|passwords?|passwd)${NOT_WORD_AFTER}` +
    // "for the app", not "for card 4417" or "for card four four one seven" (a card's ending is
    // what the bank asks for)
    `(?:\\s+(?:for|of)(?:\\s+(?:the|my)${NOT_WORD_AFTER})?` +
    `(?:\\s+(?!(?:cards?|accounts?)\\s+(?:\\d|${WORD}${NOT_WORD_AFTER}))\\p{L}+${NOT_WORD_AFTER}){1,2})?` +
    `(?:\\s*(?:is|was|=|:|to)|'s)?\\s*)` +
    `(${SPOKEN_VALUE}|${SECRET_CHAR}*(?:\\d|${D})${SECRET_CHAR}*(?:[ \\-](?:\\d|${D})+)*)` +
    // a count or a duration, not a value: "the wrong PIN 3 times"
    `(?!\\s*(?:times?|tries|try|attempts?|goes|minutes?|hours?|days?|weeks?|months?|years?)${NOT_WORD_AFTER})`,
  "giu",
);
// the Chinese value: 4 or more letters and digits, or digits said apart (密码是8 3 2 9 1 5)
const SECRET_ZH = new RegExp(
  `((?:密码|口令|PIN码?)(?:是|为|：|:)?\\s*)` +
    `((?=(?:[ \\-]?${D}){4})${D}+(?:[ \\-]${D}+)+|(?:[0-9A-Za-z]|${D}){4,})`,
  "giu",
);
const HAS_DIGIT = new RegExp(`\\d|${D}`, "u");
// A PIN in everyday word order (the server's _SECRET_AFTER_PAUSE, _SECRET_BEFORE,
// _SECRET_ZH_LATER, _SECRET_ZH_BEFORE): "my pin, 4831", "I forgot my pin, it was 4831",
// "4831 is my pin", 我的密码忘了，好像是483191, 483191是我的密码; 4-8 digits, no unit or date after
const PIN_WORD = "(?:pin(?:\\s+(?:code|number))?|passcode|passwords?|passwd)";
const LOOSE_VALUE =
  `(?:\\d{4,8}|\\d(?:[ -]\\d){3,7}|${SPOKEN_VALUE})` +
  "(?![0-9]|[-/.:][0-9]|\\s*(?:times?|tries|try|attempts?|goes|minutes?|hours?|days?|weeks?" +
  `|months?|years?|yuan|rmb|cny|dollars?|usd|hkd|bucks|am|pm|o'?clock)${NOT_WORD_AFTER}` +
  // "I forgot my PIN, 4417 is my card": a card's ending, what the bank asks for
  "|\\s+(?:is|was|are)\\s+(?:my|the)\\s+(?:card|account|ending|last|queue|ticket))";
const SECRET_AFTER_PAUSE = new RegExp(
  `(${NOT_WORD_BEFORE}${PIN_WORD}${NOT_WORD_AFTER}\\s*[,?;]\\s*` +
    "(?:(?:it|that)(?:\\s+(?:is|was|might\\s+be|may\\s+be)|'s)\\s*|(?:is|was)\\s+)?)" +
    `(${LOOSE_VALUE})()`,
  "giu",
);
const SECRET_BEFORE = new RegExp(
  `()(?<![0-9.,:/-])(${LOOSE_VALUE})` +
    `(\\s+(?:is|was|'s)\\s+(?:my|the)\\s+(?:(?:bank|card|atm|app)\\s+)?${PIN_WORD}${NOT_WORD_AFTER})`,
  "giu",
);
const COUNTED =
  "\\s*(?:[年月日号號点點时時分秒块塊元圆万千百岁歲个個次张張笔筆天人]|[:：.．][0-9]" +
  "|(?:yuan|rmb|cny|dollars?|usd|hkd|bucks|years?|tax|am|pm|a\\.m|p\\.m|o'?clock|hours?" +
  `|minutes?)${NOT_WORD_AFTER})`;
const SECRET_ZH_LATER = new RegExp(
  "((?:密码|口令)[^。！？!?.0-9零〇一幺二两三四五六七八九卡号账户尾位]{0,10}?(?:是|为|：|:|，|,)\\s*)" +
    `((?:${D}[ \\-]?){3,7}${D})(?![ \\-]?${D}|${COUNTED})()`,
  "giu",
);
const SECRET_ZH_BEFORE = new RegExp(
  `()(?<!${D})((?:${D}[ \\-]?){3,7}${D})(\\s*(?:就)?是我的(?:银行卡|卡)?(?:密码|口令))`,
  "giu",
);
const LOOSE = [SECRET_AFTER_PAUSE, SECRET_BEFORE, SECRET_ZH_LATER, SECRET_ZH_BEFORE];

/** Blocks joined by ", " all of 3 or more digits, the first four not all of four digits: a list
 * of amounts or years (the server's _a_list). */
function aList(run) {
  const blocks = run.split(", ");
  return (
    blocks.length > 1 &&
    blocks.every((b) => b.length >= 3) &&
    !(blocks.length >= 4 && blocks.slice(0, 4).every((b) => b.length === 4))
  );
}

function hideSecret(whole, lead, secret) {
  return HAS_DIGIT.test(secret) || SPOKEN_VALUE_ONLY.test(secret) ? lead + MASK : whole;
}

/** Whether ``digits`` (separators removed, an ID's X kept) is a personal number. */
function personal(digits) {
  return /^[0-9]{17}[0-9Xx]$/.test(digits) || /^[0-9]{10,}$/.test(digits);
}

function masked(run, digits) {
  return personal(digits) ? `${MASK} ${digits.slice(-4)}` : run;
}

/** ``text`` with each personal number replaced by "•••• 1234" (its last 4 digits), and a PIN
 * or password said with its value by "••••". */
export function maskNumbers(text) {
  let secretless = text.replace(SECRET, hideSecret).replace(SECRET_ZH, hideSecret);
  for (const loose of LOOSE) {
    secretless = secretless.replace(loose, (_whole, lead, _secret, tail) => lead + MASK + tail);
  }
  const typed = secretless.replace(DIGIT_RUN, (run) =>
    aList(run)
      ? run
      : masked(run, [...run.replace(/[ ,.-]/g, "")].map((c) => CJK_DIGITS[c] ?? c).join("")),
  );
  return typed.replace(WORD_RUN, (run) =>
    masked(run, (run.toLowerCase().match(/[a-z]+/g) ?? []).map((w) => WORDS[w]).join("")),
  );
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

  /** A reply: replies of one turn are spoken back to back, so they read as one caption.
   *
   * The caption is the page's one announcer of answers (a polite live region; the cards beside
   * it are not live, newcomer16: a screen reader read each answer twice). A later reply of the
   * same turn is added as a node of its own and the earlier text is left untouched, so a
   * screen reader announces only the new reply, not the turn's first reply again. */
  avatar(text, language, turnId) {
    if (turnId && turnId === this.turn && this.avatarEl.textContent) {
      const sep = language === "zh" ? "" : " ";
      const more = document.createElement("span");
      more.textContent = `${sep}${text}`;
      this.avatarEl.append(more);
    } else {
      this.avatarEl.textContent = text;
    }
    const newTurn = (turnId ?? null) !== this.turn || !turnId;
    this.turn = turnId ?? null;
    if (language) this.avatarEl.lang = language === "zh" ? "zh-CN" : "en";
    // A new answer is read from its start (its "Assistant ·" label and first line); the later
    // replies of the same turn are appended below without moving what is being read.
    if (newTurn) this.showStart(this.avatarEl);
    else this.cue();
  }

  /** The visitor's line (below the answer, which scrolls on its own, so no answer hides it;
   * at most two lines): their newest words in view while they speak, what they said from its
   * start once final (cut with "…" by the style). */
  reveal() {
    const el = this.visitorEl;
    el.scrollTop = el.dataset.final === "true" ? 0 : el.scrollHeight;
    this.cue();
  }

  /** Scroll the answer back to its start (its label and first line). */
  showStart(el) {
    el.scrollTop = 0;
    this.cue();
  }

  /** Fade the answer's bottom edge while more of it lies below (``.caption-avatar.more``), so
   * a long answer shows that it goes on; scrolling to its end removes the fade. An answer
   * longer than its box is in the Tab order, so the arrow keys scroll it (newcomer15: Tab
   * never reached it, and a keyboard user could read only its first lines). */
  cue() {
    const el = this.avatarEl;
    if (!this.cueBound) {
      el.addEventListener("scroll", () => this.cue(), { passive: true });
      this.cueBound = true;
    }
    el.classList.toggle("more", el.scrollTop + el.clientHeight < el.scrollHeight - 2);
    el.tabIndex = el.scrollHeight > el.clientHeight + 2 ? 0 : -1;
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
    this.cue();
  }
}
