// What the server's events (the events WebSocket) do to the visitor page: the avatar's state,
// captions of both sides, replies with their cards, errors as notices, what the camera saw for
// the debug overlay, and a session's end (by the visitor, an idle timeout, the visitor walking
// away, or a loss to reconnect from). The session's lifecycle itself is app.js's.

import { flushPlayout } from "./media.js";

export class ServerEvents {
  /** @param page the VisitorPage (app.js): its parts and its lifecycle's verbs. */
  constructor(page) {
    this.page = page;
  }

  /** One message of ``session``'s events socket. */
  handle(session, msg) {
    const page = this.page;
    switch (msg.type) {
      case "state":
        this.state(session, msg);
        break;
      case "transcript":
        if (msg.role === "visitor" || msg.role === undefined) {
          page.captions.visitor(msg.text ?? "", msg.final !== false, msg.language);
          if (msg.final !== false && msg.text) page.showLost(false); // the visitor went on
        }
        break;
      case "reply":
        this.reply(msg);
        break;
      case "metrics":
        page.debug?.addMetrics(msg);
        break;
      case "error":
        this.error(msg);
        break;
      case "presence":
      case "emotion":
      case "gesture":
        page.debug?.addSeen(msg); // what the camera saw: the overlay only
        break;
      default:
        console.info("unknown event", msg);
    }
  }

  state(session, msg) {
    const page = this.page;
    const state = msg.state;
    page.screen.showAvatarState(state);
    document.body.dataset.avatarState = state;
    page.debug?.setState(msg);
    if (state === "interrupted") {
      // barge-in: what the browser still holds of the cut reply must not play
      flushPlayout(page.video.video, session.pc);
      return;
    }
    if (state !== "ended") return;
    const reason = msg.reason ?? "";
    session.over = true;
    if (session.userClosing) page.sessionOver(session, "attract.ended_user");
    else if (reason === "idle-timeout") page.sessionOver(session, "attract.ended_idle");
    else if (reason === "visitor-left") {
      // the visitor walked away: their data is gone; a kiosk waits for the next one (coming
      // closer starts it), any other page for a press on Start (newcomer11)
      page.sessionOver(session, page.flags.kiosk ? "attract.ended_left" : "attract.ended_left_start");
      if (page.flags.kiosk) page.start();
    } else {
      session.over = false;
      page.sessionLost(session);
    }
  }

  reply(msg) {
    const page = this.page;
    const turn = msg.turn_id ?? msg.reply_id;
    page.camera.fold(); // the visitor went ahead without answering
    page.captions.avatar(msg.text ?? "", msg.language, turn);
    // "Thinking…" ends with the answer on screen: the server's "speaking" state only comes with
    // the first audio, which Mandarin synthesis can take seconds to produce
    if (document.getElementById("avatar-state").dataset.state === "thinking") {
      page.screen.showAvatarState("answered");
    }
    page.debug?.noteReply(turn);
    // cards stay until the next turn's reply
    if (page.cards.startTurn(turn) && page.keypad.byCard) page.keypad.close();
    if (msg.card) page.cards.add(msg.card, msg.language);
  }

  error(msg) {
    if (msg.code === "idle-timeout") return; // the "ended" state follows
    const page = this.page;
    if (msg.code === "text-too-long") page.notice("notice.text_too_long", {}, { kind: "warn" });
    else page.notice("notice.error", { message: msg.message ?? msg.code }, { kind: "warn" });
  }
}
