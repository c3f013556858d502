// UI strings: one JSON file per language in ../i18n/ (en.json, zh.json), same keys in each.
// Elements opt in with data-i18n (text), data-i18n-placeholder, data-i18n-aria-label.

export const LANGUAGES = ["en", "zh"];

export class I18n {
  /** @param {string} base URL folder holding <lang>.json */
  constructor(base = "i18n/") {
    this.base = base;
    this.lang = "en";
    this.strings = {};
    this.fallback = {};
    this.cache = new Map();
  }

  async fetchStrings(lang) {
    if (!this.cache.has(lang)) {
      const response = await fetch(`${this.base}${lang}.json`, { cache: "no-cache" });
      if (!response.ok) throw new Error(`UI strings for ${lang}: HTTP ${response.status}`);
      this.cache.set(lang, await response.json());
    }
    return this.cache.get(lang);
  }

  /** Load ``lang`` (and English as the fallback) and apply it to the document. */
  async use(lang, root = document) {
    if (!LANGUAGES.includes(lang)) lang = "en";
    this.fallback = await this.fetchStrings("en");
    this.strings = await this.fetchStrings(lang);
    this.lang = lang;
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    this.apply(root);
  }

  /** The string for ``key`` with ``{name}`` placeholders filled; the key itself if missing. */
  t(key, vars = {}) {
    const raw = this.strings[key] ?? this.fallback[key] ?? key;
    return raw.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }

  has(key) {
    return key in this.strings || key in this.fallback;
  }

  apply(root = document) {
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = this.t(el.dataset.i18nPlaceholder);
    }
    for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
      el.setAttribute("aria-label", this.t(el.dataset.i18nAriaLabel));
    }
  }
}
