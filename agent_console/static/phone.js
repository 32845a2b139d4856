// Browser phone: JsSIP registered over WSS as the agent's extension (webrtc-NNNN), DTLS-SRTP media.
// Answer, hang up, hold, mute, keypad (RFC 4733), ring tone, microphone errors; the desk phone stays an option.
// Asterisk's queue and device events drive the agent's state; this module only runs the phone.
"use strict";
const HotlinePhone = (() => {
  const { t, post, el } = Console;
  const $ = (id) => document.getElementById(id);
  const KIND_KEY = "hotline.phone";
  const MONITOR_CALLER = "monitor";
  let ua = null, session = null, account = null, ring = null, statsTimer = null, started = 0;
  let expectMonitorUntil = 0;
  let generation = 0;  // each start() or stop() supersedes a start() still waiting for the microphone or account

  function setStatus(state, text) {
    $("phone-status").dataset.state = state;
    $("phone-status").textContent = text || t("phone_" + state);
  }

  function showError(key, link) {
    const box = $("phone-error");
    box.replaceChildren();
    box.hidden = !key;
    if (!key) return;
    box.append(t(key));
    if (link) {
      const a = el("a", t("phone_cert_page"));
      a.href = link; a.target = "_blank"; a.rel = "noopener";
      box.append(" ", a);
    }
  }

  function kind() { return (document.querySelector("input[name=phone]:checked") || {}).value || "desk"; }

  function extension() {
    const select = $("extension") || $("phone-extension");
    return (select && select.value) || $("phone").dataset.extension || "";
  }

  // -- microphone -----------------------------------------------------------------------------------
  function micError(err) {
    const name = (err && err.name) || "";
    if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") return "mic_denied";
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") return "mic_missing";
    if (name === "NotReadableError" || name === "TrackStartError") return "mic_busy";
    return "mic_error";
  }

  async function checkMicrophone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return "mic_insecure";
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      stream.getTracks().forEach((track) => track.stop());
      return "";
    } catch (err) {
      return micError(err);
    }
  }

  // -- ring tone (WebAudio: 450 Hz, 1 s on, 2 s off; no file to fetch) --------------------------------
  function startRing() {
    stopRing();
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const gain = audio.createGain();
      gain.gain.value = 0;
      gain.connect(audio.destination);
      const tone = audio.createOscillator();
      tone.frequency.value = 450;
      tone.connect(gain);
      tone.start();
      for (let s = 0; s < 60; s += 3) {
        gain.gain.setValueAtTime(0.15, audio.currentTime + s);
        gain.gain.setValueAtTime(0, audio.currentTime + s + 1);
      }
      ring = audio;
    } catch (_err) { ring = null; }
  }
  function stopRing() { if (ring) { ring.close(); ring = null; } }

  // -- registration ---------------------------------------------------------------------------------
  async function start() {
    stop();
    const mine = generation;
    showError("");
    setStatus("connecting");
    const problem = await checkMicrophone();
    if (mine !== generation) return;
    if (problem) { setStatus("failed", t("mic_error")); showError(problem); return; }
    try {
      account = await post("/phone/account", { extension: extension() });
      if (mine !== generation) return;
    } catch (err) {
      if (mine !== generation) return;
      setStatus("failed", t("phone_register_failed"));
      $("phone-error").hidden = false;
      $("phone-error").textContent = err.message || t("phone_register_failed");
      return;
    }
    $("phone-identity").textContent = `${t("phone_as")} ${account.extension}`;
    const socket = new JsSIP.WebSocketInterface(account.websocket);
    const current = new JsSIP.UA({
      sockets: [socket], uri: `sip:${account.username}@${account.domain}`, password: account.password,
      display_name: account.display_name, register_expires: account.expires, session_timers: false,
      user_agent: "Citizen Hotline browser phone", connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
    });
    ua = current;
    // Events of a phone that was stopped (another window took over, the extension changed) change nothing.
    const on = (name, handler) => current.on(name, (event) => { if (ua === current) handler(event); });
    on("connected", () => showError(""));
    on("disconnected", () => {
      setStatus("failed", t("phone_unregistered"));
      if (account && account.relayed) showError("phone_server_down");
      else showError("phone_ws_failed", account && account.certificate_page);
    });
    on("registered", () => { showError(""); if (!session) setStatus("registered"); });
    on("unregistered", () => setStatus("unregistered"));
    on("registrationFailed", (event) => {
      setStatus("failed", t("phone_register_failed"));
      const auth = event.cause === JsSIP.C.causes.AUTHENTICATION_ERROR || event.cause === JsSIP.C.causes.REJECTED;
      showError(auth ? "phone_auth_failed" : "phone_register_failed");
    });
    on("newRTCSession", (event) => { if (event.originator === "remote") incoming(event.session); });
    current.start();
  }

  function stop() {
    generation += 1;
    if (session) { try { session.terminate(); } catch (_err) { /* already ended */ } }
    if (ua) { const old = ua; ua = null; old.stop(); }
    endCall();
  }

  // -- calls ----------------------------------------------------------------------------------------
  function incoming(next) {
    if (session) { next.terminate({ status_code: 486 }); return; }
    session = next;
    const who = next.remote_identity;
    $("phone-peer").textContent = (who.display_name && who.display_name !== who.uri.user)
      ? `${who.display_name} ${who.uri.user}` : who.uri.user;
    $("phone-call").hidden = false;
    $("phone-call").classList.remove("talking");
    $("phone-answer").hidden = false;
    setStatus("ringing");
    startRing();
    next.on("peerconnection", (e) => attachAudio(e.peerconnection));
    next.on("accepted", () => {
      stopRing();
      started = Date.now();
      $("phone-answer").hidden = true;
      $("phone-call").classList.add("talking");
      setStatus("talking");
    });
    next.on("confirmed", () => { startStats(); });
    next.on("hold", () => setStatus("held"));
    next.on("unhold", () => setStatus("talking"));
    next.on("ended", () => endCall("phone_call_ended"));
    next.on("failed", (e) => endCall(e.cause === JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS ? "mic_denied" : "phone_call_ended"));
    // A supervisor's listen/whisper/barge call that this page asked for a moment ago connects by itself.
    if (who.uri.user === MONITOR_CALLER && Date.now() < expectMonitorUntil) { expectMonitorUntil = 0; answer(); }
  }

  function attachAudio(pc) {
    pc.addEventListener("track", (event) => {
      const stream = event.streams[0] || new MediaStream([event.track]);
      $("phone-audio").srcObject = stream;
    });
  }

  function answer() {
    if (!session) return;
    session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  // Feature keys (*2, *3, *1) must reach Asterisk within its featuredigittimeout: short tones, short gaps.
  function sendKeys(keys) {
    if (session) session.sendDTMF(keys, { transportType: "RFC2833", duration: 100, interToneGap: 70 });
  }

  // -- warm transfer / three-way (views/transfer.py): Asterisk's attended transfer, driven by its keys ------
  let consulting = "";
  const CONSULT_AGAIN_MS = 4000;

  function showConsult(target) {
    consulting = target;
    if (!$("phone-consult")) return;
    $("consult-active").hidden = !target;
    $("consult-start").hidden = !!target;
    $("consult-target").disabled = !!target;
  }

  async function startConsult() {
    const target = $("consult-target").value.trim();
    if (!target || !session) { $("consult-target").focus(); return; }
    try {
      const data = await post("/agent/call/consult", { target });
      showConsult(target);
      Console.banner(t("consult_started").replace("{label}", data.label), "ok");
    } catch (err) { Console.banner(err.message || String(err)); }
  }

  async function finishConsult(how, keys) {
    if (!session || !consulting) return;
    try {  // noted before the keys: completing the transfer ends this phone's call
      const data = await post("/agent/call/handover", { target: consulting, how });
      Console.banner(t("handed_over").replace("{label}", data.label) + (data.cases.length ? ` (${data.cases.join(", ")})` : ""), "ok");
    } catch (err) { Console.banner(err.message || String(err)); }
    sendKeys(keys);
    if (how === "three_way") $("consult-active").hidden = true;
  }

  function endCall(message) {
    stopRing();
    clearInterval(statsTimer);
    statsTimer = null;
    session = null;
    $("phone-call").hidden = true;
    showConsult("");
    $("phone-hold").classList.remove("on");
    $("phone-mute").classList.remove("on");
    $("phone-hold").textContent = t("phone_hold");
    $("phone-mute").textContent = t("phone_mute");
    if (ua && ua.isRegistered()) setStatus("registered");
    if (message && message !== "phone_call_ended") showError(message);
  }

  function toggleHold() {
    if (!session) return;
    const held = session.isOnHold().local;
    if (held) session.unhold(); else session.hold();
    $("phone-hold").classList.toggle("on", !held);
    $("phone-hold").textContent = t(held ? "phone_hold" : "phone_unhold");
  }

  function toggleMute() {
    if (!session) return;
    const muted = session.isMuted().audio;
    if (muted) session.unmute({ audio: true }); else session.mute({ audio: true });
    $("phone-mute").classList.toggle("on", !muted);
    $("phone-mute").textContent = t(muted ? "phone_mute" : "phone_unmute");
  }

  // -- call quality: RTP counters from the peer connection ----------------------------------------------
  function startStats() {
    clearInterval(statsTimer);
    statsTimer = setInterval(showStats, 1000);
  }

  async function showStats() {
    if (!session || !session.connection) return;
    const report = await session.connection.getStats();
    let rx = 0, tx = 0, lost = 0, energy = 0;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        rx = s.packetsReceived; lost = s.packetsLost; energy = s.totalAudioEnergy || 0;
      }
      if (s.type === "outbound-rtp" && s.kind === "audio") tx = s.packetsSent;
    });
    const box = $("phone-stats");
    Object.assign(box.dataset, { rx, tx, lost, energy });
    box.textContent = t("phone_rx_tx").replace("{rx}", rx).replace("{tx}", tx).replace("{lost}", lost);
    $("phone-timer").textContent = Console.duration((Date.now() - started) / 1000);
  }

  // -- wiring ---------------------------------------------------------------------------------------
  function choose() {
    localStorage.setItem(KIND_KEY, kind());
    if (kind() === "browser") start(); else { stop(); showError(""); setStatus("off"); $("phone-identity").textContent = ""; }
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!$("phone")) return;
    const saved = localStorage.getItem(KIND_KEY);
    if (saved) {
      const radio = document.querySelector(`input[name=phone][value=${saved}]`);
      if (radio && !radio.disabled) radio.checked = true;
    }
    document.querySelectorAll("input[name=phone]").forEach((radio) => radio.addEventListener("change", choose));
    const select = $("extension") || $("phone-extension");
    const savedExtension = localStorage.getItem(KIND_KEY + ".extension");
    if (select && select.id === "phone-extension" && savedExtension) select.value = savedExtension;
    if (select) select.addEventListener("change", () => {
      if (select.id === "phone-extension") localStorage.setItem(KIND_KEY + ".extension", select.value);
      if (kind() === "browser") start();
    });
    $("phone-answer").addEventListener("click", answer);
    $("phone-hangup").addEventListener("click", () => { if (session) session.terminate(); });
    $("phone-hold").addEventListener("click", toggleHold);
    $("phone-mute").addEventListener("click", toggleMute);
    $("phone-keypad").addEventListener("click", (event) => {
      const digit = event.target.dataset && event.target.dataset.digit;
      if (digit && session) session.sendDTMF(digit, { transportType: "RFC2833" });
    });
    if ($("phone-consult")) {
      $("consult-start").addEventListener("click", startConsult);
      $("consult-complete").addEventListener("click", () => finishConsult("transfer", "*2"));
      $("consult-three-way").addEventListener("click", () => finishConsult("three_way", "*3"));
      $("consult-back").addEventListener("click", () => {
        sendKeys("*1");
        showConsult("");
        // Asterisk ignores a new consultation (Atxfer) while it still ends the last one: wait a moment.
        $("consult-start").disabled = true;
        setTimeout(() => { $("consult-start").disabled = false; }, CONSULT_AGAIN_MS);
      });
    }
    document.addEventListener("console:inactive", () => { stop(); setStatus("failed", t("phone_taken_over")); });
    window.addEventListener("beforeunload", stop);
    choose();
  });

  function expectMonitorCall(seconds) { expectMonitorUntil = Date.now() + seconds * 1000; }

  return { kind, start, stop, extension, expectMonitorCall };
})();
