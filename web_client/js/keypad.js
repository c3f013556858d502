// The on-screen keypad: digits for a card's last 4 digits or a one-time code, so they need not
// be spoken aloud. Entered digits show as dots. Usable by touch, mouse and keyboard
// (digit keys, Backspace, Enter, Escape while the keypad is open).

const MAX_DIGITS = 32; // the server accepts 1-32 of 0-9 * #

export class Keypad {
  /**
   * @param {HTMLElement} root the #keypad element
   * @param {{t: Function, i18n?: object, domain?: string, onSubmit: (digits: string) => void,
   *          onOpen?: () => void, onClose?: () => void}} o domain: picks the domain's prompt
   *   (``keypad.prompt_4_tax``) where the UI strings have one
   */
  constructor(root, o) {
    this.root = root;
    this.o = o;
    this.digits = "";
    this.expected = null;
    this.byCard = false;
    this.display = root.querySelector("#keypad-display");
    this.prompt = root.querySelector("#keypad-prompt");
    this.count = root.querySelector("#keypad-count");
    this.ok = root.querySelector('[data-key="ok"]');
    root.querySelector("#keypad-grid").addEventListener("click", (ev) => {
      const key = ev.target.closest("[data-key]")?.dataset.key;
      if (key) this.press(key);
    });
    root.querySelector("#keypad-close").addEventListener("click", () => this.close(true));
    document.addEventListener("keydown", (ev) => this.onKey(ev));
  }

  get isOpen() {
    return !this.root.hidden;
  }

  /** Show the keypad. Digits the visitor is already typing stay when they fit what is now
   * asked (a turn's second sentence brings the code's keypad card while the visitor, reading
   * the demo phone, has opened the keypad and typed part of the code); else it starts cleared.
   * @param {number|null} expected digits wanted, or null */
  open(expected = null, { byCard = false, focus = true } = {}) {
    const wanted = expected && expected > 0 ? Math.min(expected, MAX_DIGITS) : null;
    const typing = this.isOpen && this.digits.length > 0;
    if (!typing || (wanted !== null && this.digits.length > wanted)) this.digits = "";
    this.expected = wanted;
    this.byCard = byCard;
    this.root.hidden = false;
    this.render();
    // the newest answer card stays in view above the keypad: with the greeting's card before
    // it, the scroll box kept its top and the keypad's edge cut the answer (the suite, session 15)
    document.querySelector("#cards .card:last-of-type")?.scrollIntoView({ block: "nearest" });
    this.o.onOpen?.();
    if (focus) this.root.focus();
  }

  close(returnFocus = false) {
    if (!this.isOpen) return;
    this.root.hidden = true;
    this.digits = "";
    this.byCard = false;
    this.o.onClose?.(returnFocus);
  }

  press(key) {
    if (/^[0-9]$/.test(key)) {
      const limit = this.expected ?? MAX_DIGITS;
      if (this.digits.length < limit) this.digits += key;
    } else if (key === "back") {
      this.digits = this.digits.slice(0, -1);
    } else if (key === "ok") {
      this.submit();
      return;
    }
    this.render();
  }

  submit() {
    if (!this.ready()) return;
    const digits = this.digits;
    this.close(true);
    this.o.onSubmit(digits);
  }

  ready() {
    return this.expected ? this.digits.length === this.expected : this.digits.length > 0;
  }

  onKey(ev) {
    if (!this.isOpen || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const target = ev.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
    if (/^[0-9]$/.test(ev.key)) {
      this.press(ev.key);
      ev.preventDefault();
    } else if (ev.key === "Backspace") {
      this.press("back");
      ev.preventDefault();
    } else if (ev.key === "Enter" && (!(target instanceof HTMLButtonElement) || this.ready())) {
      // Enter submits; on a focused key it still activates that key until the entry is complete
      this.submit();
      ev.preventDefault();
    } else if (ev.key === "Escape") {
      this.close(true);
      ev.preventDefault();
    }
  }

  /** Re-render the prompt and display (also after a language switch). */
  render() {
    const t = this.o.t;
    const n = this.expected;
    // the domain's own wording first (tax: the taxpayer ID, not a card)
    const own = this.o.domain && n ? `keypad.prompt_${n}_${this.o.domain}` : null;
    if (own && this.o.i18n?.has(own)) this.prompt.textContent = t(own);
    else if (n && this.o.i18n?.has(`keypad.prompt_${n}`)) this.prompt.textContent = t(`keypad.prompt_${n}`);
    else if (n) this.prompt.textContent = t("keypad.prompt_n", { n });
    else this.prompt.textContent = t("keypad.prompt_any");
    const slots = [];
    const total = Math.max(n ?? 0, this.digits.length);
    for (let i = 0; i < total; i++) {
      const span = document.createElement("span");
      const filled = i < this.digits.length;
      span.className = filled ? "slot" : "slot empty";
      span.textContent = filled ? "●" : "○";
      slots.push(span);
    }
    this.display.replaceChildren(...slots);
    this.display.setAttribute("aria-label", this.countText());
    this.count.textContent = this.countText();
    this.ok.disabled = !this.ready();
  }

  countText() {
    const t = this.o.t;
    return this.expected
      ? t("keypad.count", { count: this.digits.length, n: this.expected })
      : t("keypad.count_any", { count: this.digits.length });
  }
}
