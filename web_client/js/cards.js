// Reply cards (the dialog packs' `card:` templates, assets/domains/*/responses.yaml):
// balance, transactions, confirm, receipt, filing, slots, handoff, faq; keypad and text_input
// are requests for input, not cards. Unknown kinds render as a key/value list.

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function present(value) {
  return value !== undefined && value !== null && value !== "";
}

/** "6228…5671", "****5671" or "5671" → the last 4 digits. */
export function last4(value) {
  const digits = String(value ?? "").replace(/\D/g, "");
  return digits.slice(-4);
}

/** A service hall's name in ``language``: "Hall A" → "A厅" in Chinese, as the server says it in
 * the reply (dialog/templates.py `spoken_hall`: the systems name their halls in English);
 * any other value, or English, as given. */
export function hallName(hall, language) {
  const text = String(hall ?? "");
  const found = /^Hall ([A-Z0-9]{1,3})$/.exec(text.trim());
  return language === "zh" && found ? `${found[1]}厅` : text;
}

/** The language a card's words follow: its reply's (the session's), else the page's. */
function cardLanguage(ctx) {
  return ctx.language ?? ctx.i18n?.lang ?? "en";
}

function masked(ctx, value) {
  const tail = last4(value);
  return tail ? ctx.t("card.masked", { last4: tail }) : String(value ?? "");
}

function money(ctx, amount, currency) {
  const code = currency || "";
  const label = code && ctx.i18n.has(`currency.${code}`) ? ctx.t(`currency.${code}`) : code;
  return [label ? el("span", { class: "currency" }, label) : null, String(amount)];
}

function shell(kind, title, extraClass = "") {
  const card = el("article", { class: `card card-${kind} ${extraClass}`.trim(), dataset: { kind } });
  if (title) card.append(el("h3", { class: "card-title" }, title));
  return card;
}

function kv(ctx, rows) {
  const list = el("dl", { class: "card-kv" });
  for (const [label, value] of rows) {
    if (!present(value)) continue;
    list.append(el("dt", {}, label), el("dd", {}, String(value)));
  }
  return list;
}

function humanKey(key) {
  return key.replace(/_/g, " ").replace(/^\w/, (c) => c.toUpperCase());
}

function formatValue(value) {
  if (Array.isArray(value)) return value.map(formatValue).join("; ");
  if (value && typeof value === "object") {
    return Object.entries(value)
      .map(([k, v]) => `${humanKey(k)}: ${formatValue(v)}`)
      .join(", ");
  }
  return String(value);
}

const RENDER = {
  balance(card, ctx) {
    // One row per account with its own balance, then the total labelled as such.
    const node = shell("balance", ctx.t("card.balance.title"));
    const accounts = Array.isArray(card.accounts) ? card.accounts : [];
    const rows = accounts.map((a) => [
      `${ctx.t("card.balance.account")} ${masked(ctx, a.account)}`,
      [card.currency, a.amount].filter(present).join(" "),
    ]);
    if (card.total) rows.push([card.total.label || ctx.t("card.balance.total"), [card.currency, card.total.amount].filter(present).join(" ")]);
    if (!rows.length && present(card.amount)) {
      node.append(el("p", { class: "card-big", "data-field": "amount" }, money(ctx, card.amount, card.currency)));
    }
    node.append(kv(ctx, rows));
    return node;
  },

  transactions(card, ctx) {
    const node = shell("transactions", ctx.t("card.transactions.title"));
    const rows = Array.isArray(card.rows) ? card.rows : [];
    if (!rows.length) {
      node.append(el("p", { class: "card-line" }, ctx.t("card.transactions.empty")));
      return node;
    }
    const head = el(
      "tr",
      {},
      el("th", { scope: "col" }, ctx.t("card.transactions.date")),
      el("th", { scope: "col" }, ctx.t("card.transactions.description")),
      el("th", { scope: "col", class: "amount" }, ctx.t("card.transactions.amount")),
    );
    const body = el("tbody");
    for (const row of rows) {
      const amount = String(row.amount ?? "");
      body.append(
        el(
          "tr",
          {},
          el("td", { class: "date" }, row.date ?? ""),
          el("td", {}, row.description ?? ""),
          el("td", { class: `amount${amount.trim().startsWith("-") ? " neg" : ""}` }, amount),
        ),
      );
    }
    node.append(el("table", { class: "tx-table" }, el("thead", {}, head), body));
    return node;
  },

  confirm(card, ctx) {
    const node = shell("confirm", ctx.t("card.confirm.title"));
    const key = `card.confirm.${card.action}`;
    const vars = { ...card, card: card.card ? last4(card.card) || card.card : "" };
    const question = ctx.i18n.has(key) ? ctx.t(key, vars) : ctx.t("card.confirm.generic");
    const yes = el("button", { type: "button", class: "btn btn-primary" }, ctx.t("card.confirm.yes"));
    const no = el("button", { type: "button", class: "btn" }, ctx.t("card.confirm.no"));
    yes.addEventListener("click", () => ctx.sendText(ctx.t("card.confirm.yes_text")));
    no.addEventListener("click", () => ctx.sendText(ctx.t("card.confirm.no_text")));
    node.append(el("p", { class: "card-line" }, question), el("div", { class: "card-actions" }, yes, no));
    return node;
  },

  receipt(card, ctx) {
    const action = card.action ?? "";
    const titleKey = `card.receipt.${action}`;
    const refKey = `card.receipt.reference_${action}`;
    const node = shell(
      "receipt",
      ctx.i18n.has(titleKey) ? ctx.t(titleKey) : ctx.t("card.receipt.title"),
    );
    if (present(card.reference)) {
      node.append(
        el("p", { class: "card-line" }, ctx.i18n.has(refKey) ? ctx.t(refKey) : ctx.t("card.receipt.reference")),
        el("p", { class: "card-ref", "data-field": "reference" }, card.reference),
      );
    }
    node.append(
      kv(ctx, [
        [ctx.t("card.receipt.card"), present(card.card) ? masked(ctx, card.card) : null],
        [ctx.t("card.receipt.date"), card.date],
        [ctx.t("card.receipt.start"), card.start],
        [ctx.t("card.receipt.hall"), present(card.hall) ? hallName(card.hall, cardLanguage(ctx)) : null],
      ]),
    );
    return node;
  },

  filing(card, ctx) {
    const node = shell("filing", ctx.t("card.filing.title", { year: card.year ?? "" }));
    node.dataset.status = card.status ?? "";
    const statusKey = `card.filing.status_${card.status}`;
    if (present(card.amount)) node.append(el("p", { class: "card-big" }, money(ctx, card.amount, card.currency || "CNY")));
    node.append(
      kv(ctx, [
        [ctx.t("card.filing.status"), ctx.i18n.has(statusKey) ? ctx.t(statusKey) : card.status],
        [ctx.t("card.filing.due_date"), card.due_date],
      ]),
    );
    return node;
  },

  slots(card, ctx) {
    const node = shell("slots", ctx.t("card.slots.title", { date: card.date ?? "" }));
    const slots = Array.isArray(card.slots) ? card.slots : [];
    const actions = el("div", { class: "card-actions" });
    for (const slot of slots) {
      // the hall in the session's language, as the caption says it (newcomer #13: "Hall A" on
      // a Chinese page whose caption said A厅)
      const hall = present(slot.hall) ? hallName(slot.hall, cardLanguage(ctx)) : null;
      const label = [slot.start, hall].filter(present).join(" · ");
      const button = el("button", { type: "button", class: "btn" }, label || formatValue(slot));
      button.addEventListener("click", () => ctx.sendText(String(slot.start ?? label)));
      actions.append(button);
    }
    node.append(el("p", { class: "card-line" }, ctx.t("card.slots.hint")), actions);
    return node;
  },

  handoff(card, ctx) {
    const node = shell("handoff", ctx.t("card.handoff.title"));
    node.append(el("p", { class: "card-line" }, ctx.t("card.handoff.text")));
    return node;
  },

  faq(card, ctx) {
    const node = shell("faq", present(card.title) ? card.title : ctx.t("card.faq.title"));
    const line = present(card.key_line) ? card.key_line : card.text;
    if (present(line)) node.append(el("p", { class: "card-line" }, line));
    // the whole answer one tap away: the card showed only its key line, and the rest (fees,
    // what to bring) was only heard and scrolled by in the caption (newcomer15)
    if (present(card.text) && present(line) && card.text.trim() !== line.trim()) {
      const more = el("details", { class: "card-more" });
      more.append(el("summary", {}, ctx.t("card.faq.more")), el("p", { class: "card-line" }, card.text));
      node.append(more);
    }
    node.append(kv(ctx, [[ctx.t("card.faq.source"), card.source]]));
    return node;
  },
};

/** A card of an unknown kind: its fields as a key/value list. */
export function genericCard(card, ctx) {
  const node = shell(card.kind ? String(card.kind) : "generic", ctx.t("card.generic.title"), "card-generic");
  const rows = Object.entries(card)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => [humanKey(key), formatValue(value)]);
  node.append(kv(ctx, rows));
  return node;
}

/**
 * Render one reply card.
 *
 * @param {object} card the reply's ``card`` (``{"kind": …, …}``)
 * @param {{t: Function, i18n: object, sendText: Function, openKeypad: Function, focusText: Function,
 *   language?: string}} ctx ``language``: the reply's (``en``, ``zh``), for the values a card
 *   shows as the reply says them (a hall's name); the page's language when absent
 * @returns {HTMLElement|null} null for input requests (keypad, text_input)
 */
export function renderCard(card, ctx) {
  if (!card || typeof card !== "object") return null;
  if (card.kind === "keypad") {
    ctx.openKeypad(Number(card.digits) || null);
    return null;
  }
  if (card.kind === "text_input") {
    ctx.focusText();
    return null;
  }
  const render = RENDER[card.kind];
  try {
    return render ? render(card, ctx) : genericCard(card, ctx);
  } catch (error) {
    console.warn("card render failed, showing it generically", card, error);
    return genericCard(card, ctx);
  }
}

/**
 * The cards beside the avatar: the current turn's cards, kept until the next turn's reply and
 * rendered again in a new language.
 */
export class CardPanel {
  /**
   * @param {HTMLElement} box the #cards element
   * @param {HTMLElement} empty the placeholder shown while there is no card
   * @param {{t: Function, i18n: object, sendText: Function, openKeypad: Function, focusText: Function}} ctx
   */
  constructor(box, empty, ctx) {
    this.box = box;
    this.empty = empty;
    this.ctx = ctx;
    this.cards = [];
    /** @type {WeakMap<object, string>} each card's reply language */
    this.languages = new WeakMap();
    this.turn = null;
  }

  /** A reply of ``turn``: the cards of an earlier turn leave. Returns whether the turn is new. */
  startTurn(turn) {
    if (turn === this.turn) return false;
    this.clear();
    this.turn = turn;
    return true;
  }

  /** A reply's card: shown at once, its input requests (keypad, text box) opened.
   * ``language``: the reply's language (the session's), which its values follow. */
  add(card, language) {
    this.cards.push(card);
    if (language && card && typeof card === "object") this.languages.set(card, language);
    this.render({ openInputs: true, only: card });
  }

  /** Render every card again (``only``: just that one, appended); input requests are opened
   * only with ``openInputs`` (a language switch does not reopen the keypad). */
  render({ openInputs = false, only = null } = {}) {
    const ctx = openInputs ? this.ctx : { ...this.ctx, openKeypad: () => {}, focusText: () => {} };
    if (!only) this.box.querySelectorAll(".card").forEach((n) => n.remove());
    for (const card of only ? [only] : this.cards) {
      const language = card && typeof card === "object" ? this.languages.get(card) : undefined;
      const node = renderCard(card, language ? { ...ctx, language } : ctx);
      if (node) this.box.append(node);
    }
    this.empty.hidden = Boolean(this.box.querySelector(".card"));
  }

  clear() {
    this.cards = [];
    this.box.querySelectorAll(".card").forEach((n) => n.remove());
    this.empty.hidden = false;
  }
}
