// What the visitor types or taps, sent on the session's events socket: the text box, the
// keypad's digits and the handoff button. Each shows in the visitor's caption as sent (typed
// numbers masked, keypad digits as dots); with no open session a notice says so instead.

import { maskNumbers } from "./captions.js";

export const MAX_TEXT_CHARS = 500; // server.max_text_chars

const $ = (id) => document.getElementById(id);

export class VisitorInput {
  /**
   * @param {{socket: () => WebSocket|null|undefined, captions: object, t: Function,
   *          notice: Function, onSent: Function}} o socket: the current session's events
   *          socket, if any; onSent: called after the visitor's text, digits or handoff went
   */
  constructor(o) {
    this.o = o;
    $("text-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.sendTextFromBox();
    });
    $("handoff").addEventListener("click", () => this.handoff());
    // the box holds MAX_TEXT_CHARS (maxlength): a longer paste is cut, so say so rather than
    // send a question cut short without a word (newcomer11)
    $("text-input").addEventListener("paste", (ev) => {
      const input = ev.target;
      const pasted = ev.clipboardData?.getData("text") ?? "";
      const kept = input.value.length - (input.selectionEnd - input.selectionStart);
      if (kept + pasted.length > MAX_TEXT_CHARS) {
        this.o.notice("notice.text_too_long", {}, { kind: "warn" });
      }
    });
  }

  /** Send ``message`` as JSON; false when no session's socket is open. */
  send(message) {
    const socket = this.o.socket();
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /** Send ``message``; false (and a notice) when the session is not connected. */
  sendOrSay(message) {
    if (this.send(message)) {
      this.o.onSent?.();
      return true;
    }
    this.o.notice("notice.not_connected", {}, { kind: "warn" });
    return false;
  }

  sendTextFromBox() {
    const input = $("text-input");
    const text = input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT_CHARS) {
      this.o.notice("notice.text_too_long", {}, { kind: "warn" });
      return;
    }
    if (this.sendText(text)) input.value = "";
  }

  sendText(text) {
    if (!this.sendOrSay({ type: "text", text })) return false;
    this.o.captions.visitor(maskNumbers(text), true); // spoken transcripts come masked
    return true;
  }

  sendKeypad(digits) {
    if (!this.sendOrSay({ type: "keypad", digits })) return;
    this.o.captions.visitor(this.o.t("caption.keypad", { dots: "•".repeat(digits.length) }), true);
  }

  handoff() {
    if (!this.sendOrSay({ type: "handoff" })) return;
    this.o.captions.visitor(this.o.t("caption.handoff"), true);
    this.o.notice("notice.handoff");
  }
}
