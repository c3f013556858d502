// The demo phone (/demo/phone): shows the text messages the sandbox systems sent, read from
// phone.json every POLL_MS, oldest first with the newest at the bottom and scrolled into view.
// Each message is {to, text, sent_at}: `to` masked to its last 4 digits, `sent_at` ISO 8601 UTC.

const POLL_MS = 2000;

const $ = (id) => document.getElementById(id);

function timeOf(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString([], { hour12: false });
}

function messageNode(message) {
  const item = document.createElement("li");
  item.className = "phone-message";
  item.dataset.sentAt = message.sent_at;
  const meta = document.createElement("p");
  meta.className = "phone-meta";
  const to = document.createElement("span");
  to.textContent = `→ ${message.to}`;
  const time = document.createElement("time");
  time.dateTime = message.sent_at;
  time.textContent = timeOf(message.sent_at);
  meta.append(to, time);
  const text = document.createElement("p");
  text.className = "phone-text";
  text.textContent = message.text;
  item.append(meta, text);
  return item;
}

class DemoPhone {
  constructor() {
    this.list = $("messages");
    this.shown = 0;
    this.timer = null;
  }

  status(text) {
    $("phone-status").textContent = text;
  }

  render(messages) {
    if (messages.length < this.shown) {
      // the server restarted: its memory (and the list) started again
      this.list.replaceChildren();
      this.shown = 0;
    }
    for (const message of messages.slice(this.shown)) this.list.append(messageNode(message));
    const added = messages.length > this.shown;
    this.shown = messages.length;
    $("empty").hidden = messages.length > 0;
    if (added) {
      for (const node of this.list.querySelectorAll(".newest")) node.classList.remove("newest");
      const newest = this.list.lastElementChild;
      newest.classList.add("newest");
      newest.scrollIntoView({ block: "end" });
    }
    document.body.dataset.messages = String(messages.length);
  }

  async poll() {
    try {
      const response = await fetch("phone.json", { cache: "no-store" });
      if (response.status === 404) {
        this.status(
          "The demo phone is only there when `dhe serve` runs its embedded sandbox systems.",
        );
        return;
      }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = await response.json();
      this.render(Array.isArray(body.messages) ? body.messages : []);
      this.status("");
    } catch (error) {
      this.status(`Cannot read the messages (${error.message}); trying again…`);
    } finally {
      document.body.dataset.ready = "true";
      this.timer = setTimeout(() => this.poll(), POLL_MS);
    }
  }
}

new DemoPhone().poll();
