// What a failed session start shows and how the page tries again: a pure decision over the
// error openSession (signaling.js) threw; app.js acts on it (the notice, the chip, the retry).

import { isConfigError } from "./signaling.js";

// the notices a failed start shows, cleared when a session opens
export const STARTUP_NOTICES = [
  "notice.start_failed",
  "notice.not_ready",
  "notice.busy",
  "notice.address_busy",
  "notice.config_error",
  "notice.out_of_service",
];

/**
 * The notice for a failed start, and whether retrying soon can help.
 *
 * @param error openSession's error: `status` (HTTP status, absent when the server was not
 *   reached), `code` (the server's error code, e.g. "not-ready"), `message`.
 * @param reconnect whether the start was a reconnect; `everConnected` whether this page has had
 *   a live session since the last visitor's ended.
 * @returns `{key, vars, retry, status}`: `key` the i18n notice key; `retry` "config" (a setup
 *   mistake or a failed server start: an error notice, checked again every `config_retry_ms`)
 *   or "backoff" (a warning, the next back-off delay), `vars` the notice's values for the
 *   latter and `status` its status chip override ("starting": the server is still warming up
 *   and this page never connected; null: the phase's own).
 */
export function startFailure(error, { reconnect, everConnected }) {
  if (isConfigError(error)) return { key: "notice.config_error", retry: "config" };
  if (error.code === "start-up-failed") {
    // the server is up but its models never loaded: out of service until staff fix it
    return { key: "notice.out_of_service", retry: "config" };
  }
  if (error.code === "too-many-sessions-from-address") {
    // kiosks behind one NAT address share the server's per-address limit: the third one
    // read "could not be reached" (newcomer15); say it is busy, and for staff which limit
    const vars = { status: error.status, code: error.code };
    return { key: "notice.address_busy", vars, retry: "backoff", status: null };
  }
  const key =
    error.code === "not-ready"
      ? "notice.not_ready"
      : error.code === "too-many-sessions"
        ? "notice.busy"
        : reconnect && everConnected
          ? "notice.reconnecting"
          : "notice.start_failed";
  const status = error.code === "not-ready" && !everConnected ? "starting" : null;
  return { key, vars: {}, retry: "backoff", status };
}
