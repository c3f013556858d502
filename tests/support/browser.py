"""Debian's headless Chromium for the tests that drive the visitor page (the e2e suite, and the
cluster test's visitor whose replica dies): where it lives and the switches every launch uses."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("DHE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    # host candidates as IPs, not mDNS names, also for pages without media permission
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

#: An init script (``add_init_script``) that keeps each RTCPeerConnection the page makes in
#: ``window.__pcs``, for its receivers and stats; it runs before the page's own scripts.
KEEP_PCS_JS = """(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();"""
