// Agent desk: presence controls, screen pop (caller, IVR path, transcript, history), case form, shortcuts.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { t, el, post, banner, duration } = Console;
  const $ = (id) => document.getElementById(id);
  let presence = JSON.parse($("presence").textContent);
  let call = null;
  let inactive = false;

  // -- presence -------------------------------------------------------------------------------------
  function renderPresence(next) {
    presence = next || presence;
    const state = presence.state;
    $("state").dataset.state = state;
    $("state").textContent = t("state_" + state);
    $("state-reason").textContent = presence.reason && state === "paused" && presence.reason !== state
      ? t("reason_" + presence.reason) : "";
    $("login-panel").hidden = state !== "offline";
    $("controls-online").hidden = state === "offline";
    $("btn-pause").disabled = !["available", "paused", "wrapup"].includes(state);
    $("btn-resume").disabled = !["paused"].includes(state);
    $("btn-end-wrapup").hidden = state !== "wrapup";
    $("btn-leave").disabled = ["ringing", "on_call"].includes(state);
    // The pop's life cycle: an ended call stays for the case form during wrap-up, then clears.
    if (call && (state === "offline" || (call.ended && ["available", "paused"].includes(state)))) renderCall(null);
    tick();
  }

  function tick() {
    const now = Date.now();
    if (presence.state === "wrapup" && presence.wrapup_until) {
      const left = (Date.parse(presence.wrapup_until) - now) / 1000;
      $("state-timer").textContent = t("seconds_left_n").replace("{n}", Math.max(0, Math.ceil(left)));
    } else if (presence.since && presence.state !== "offline") {
      $("state-timer").textContent = duration((now - Date.parse(presence.since)) / 1000);
    } else {
      $("state-timer").textContent = "";
    }
  }
  setInterval(tick, 1000);

  async function act(path, body) {
    if (inactive) return null;
    try {
      const data = await post(path, body);
      banner("");
      if (data.presence) renderPresence(data.presence);
      return data;
    } catch (err) {
      if (err && err.message) banner(err.message + (err.detail ? ` (${err.detail})` : ""));
      return null;
    }
  }

  $("queue-login").addEventListener("submit", (event) => {
    event.preventDefault();
    const queues = [...document.querySelectorAll("input[name=queues]:checked")].map((i) => i.value);
    const phone = (document.querySelector("input[name=phone]:checked") || {}).value || "desk";
    act("/agent/presence/login", { extension: $("extension").value, queues, phone });
  });
  $("btn-pause").addEventListener("click", () => act("/agent/presence/pause", { reason: $("pause-reason").value }));
  $("btn-resume").addEventListener("click", () => act("/agent/presence/resume"));
  $("btn-end-wrapup").addEventListener("click", () => act("/agent/presence/end-wrapup"));
  $("btn-leave").addEventListener("click", () => act("/agent/presence/logout"));

  // -- screen pop -----------------------------------------------------------------------------------
  function renderCall(next) {
    call = next;
    $("pop-empty").hidden = !!call;
    $("pop-body").hidden = !call;
    $("pop").classList.toggle("active", !!call);
    $("pop").classList.toggle("ended", !!(call && call.ended));
    $("btn-hangup").disabled = $("btn-transfer").disabled = !call || !!call.ended;
    if (!call) {
      $("pop-queue").textContent = "";
      $("case-linkedid").value = "";
      $("pop-repeat").hidden = true;
      $("pop-flag").hidden = true;
      $("pop-history").replaceChildren(el("li", t("no_history"), "muted"));
      return;
    }
    $("pop-caller").textContent = call.caller || "—";
    $("pop-queue").textContent = [label("queue_", call.queue), call.ended ? t("call_ended") : ""]
      .filter(Boolean).join(" · ");
    $("pop-language").textContent = call.language ? label("lang_", call.language, t("lang_other")) : "—";
    $("pop-ivr").replaceChildren(...(call.ivr_path || []).map((s) => el("li", ivrStep(s))));
    const lines = (call.transcript || []).map((s) => el("p", s.text));
    if (call.partial) lines.push(el("p", call.partial, "partial"));
    if (!lines.length) lines.push(el("p", t("no_transcript"), "muted empty"));  // an empty box looked broken
    $("pop-transcript").replaceChildren(...lines);
    $("pop-transcript").scrollTop = $("pop-transcript").scrollHeight;
  }

  // Codes never reach the screen: a known code has a label, an unknown one a generic word.
  function label(prefix, code, fallback = "") {
    const key = prefix + (code || "");
    const text = t(key);
    return text === key ? fallback : text;
  }

  function ivrStep(step) {
    const node = label("ivr_", step.node, t("ivr_step"));
    let input = step.input || "";
    const gaveUp = input.endsWith(":gave-up");
    if (gaveUp) input = input.slice(0, -":gave-up".length);
    let cause = "";
    if (/^[0-9*#]+$/.test(input)) cause = `${t("ivr_pressed")} ${input}`;
    else if (input.startsWith("speech:")) cause = label("cause_speech_", input.slice(7), t("cause_speech"));
    else if (/:(found|not-found)$/.test(input)) {
      const [number, found] = input.split(":");
      cause = `${number} ${t(found === "found" ? "cause_found" : "cause_not_found")}`;
    } else if (input.startsWith("waiting=")) cause = t("cause_waiting").replace("{n}", input.slice(8));
    else cause = label("cause_", input.toLowerCase());
    if (gaveUp) cause = [cause, t("cause_gave_up")].filter(Boolean).join(t("punct_comma"));
    return cause ? `${node}${t("punct_open")}${cause}${t("punct_close")}` : node;
  }

  // A number on the caller list: its kind and the supervisor's reason, until when (nothing is blocked).
  function renderFlag(flag) {
    $("pop-flag").hidden = !flag;
    if (flag) {
      $("pop-flag").textContent = t("caller_flag_pop").replace("{kind}", label("caller_kind_", flag.kind, t("caller_kind")))
        .replace("{reason}", flag.reason).replace("{until}", flag.until);
    }
  }

  function renderHistory(cases, repeat) {
    $("pop-repeat").hidden = !repeat;
    if (repeat) $("pop-repeat").textContent = t("repeat_caller").replace("{calls}", repeat.calls).replace("{days}", repeat.days);
    if (!cases.length) { $("pop-history").replaceChildren(el("li", t("no_history"), "muted")); return; }
    $("pop-history").replaceChildren(...cases.map((c) => {
      const item = el("li");
      if (c.priority === "urgent") item.append(el("span", t("priority_urgent"), "tag err"), " ");
      item.append(el("span", c.number, "mono"), " ", el("span", t("status_" + c.status)), " ",
        el("span", (c.created_at || "").slice(0, 10), "muted"), el("div", c.description));
      item.append(...(c.media || []).map(mediaPlayer));
      const back = el("button", t("callback_call"));
      back.type = "button";
      back.addEventListener("click", () => act("/agent/callback", { number: c.number }));
      const attach = el("button", t("attach"));
      attach.type = "button";
      attach.addEventListener("click", () => { $("attach-number").value = c.number; });
      item.append(back, " ", attach);
      return item;
    }));
  }

  // An earlier call's recording or the voice message left after hours, played in the page (range requests,
  // access-checked and audited by the case media endpoints); a copy only for the roles that may download.
  function mediaPlayer(m) {
    const box = el("div", "", "history-media");
    box.append(el("span", `${t(m.kind === "message" ? "voice_message" : "call_recording")} ${m.at}`, "small muted"));
    const audio = document.createElement("audio");
    Object.assign(audio, { controls: true, preload: "none", src: m.url });
    audio.dataset.testid = "history-audio";
    audio.dataset.kind = m.kind;
    const mayDownload = !!$("pop-history").dataset.download;
    if (!mayDownload) audio.setAttribute("controlslist", "nodownload");
    box.append(audio);
    if (mayDownload) {
      const link = el("a", t("download"));
      link.href = m.url + "?download=1";
      box.append(" ", link);
    }
    return box;
  }

  function pop(message) {
    renderCall(message.call);
    $("case-phone").value = message.call.caller || "";
    $("case-linkedid").value = message.linkedid;
    $("case-result").textContent = "";
    $("pop-history").replaceChildren(el("li", "…", "muted"));
  }

  $("btn-hangup").addEventListener("click", () => act("/agent/call/hangup"));
  $("btn-transfer").addEventListener("click", () => {
    const target = $("transfer-target").value.trim();
    if (target) act("/agent/call/transfer", { target });
    else $("transfer-target").focus();
  });

  // -- case form ------------------------------------------------------------------------------------
  function clearErrors() {
    document.querySelectorAll("#case-form .invalid").forEach((n) => n.classList.remove("invalid"));
    document.querySelectorAll("#case-form .field-error").forEach((n) => n.remove());
  }

  function showErrors(fields) {
    for (const [name, message] of Object.entries(fields || {})) {
      const input = document.querySelector(`#case-form [name="${name}"]`);
      if (!input) continue;
      input.classList.add("invalid");
      input.insertAdjacentElement("afterend", el("span", message, "field-error"));
    }
  }

  function showDeadlines(p) {
    const parts = [];
    if (p.dispatch_by) parts.push(`${t("dispatch_by")}${t("punct_colon")}${p.dispatch_by}`);
    if (p.resolve_limit) parts.push(`${t("resolve_by")}${t("punct_colon")}${p.resolve_limit}`);
    $("deadlines").textContent = parts.length ? `${t("deadlines")} — ${parts.join(" · ")}` : "";
  }

  async function suggest() {
    const description = $("case-description").value.trim();
    if (!description) { $("case-description").focus(); return; }
    const data = await act("/agent/route", { description, street: $("case-street").value, category: "" });
    if (!data) return;
    const p = data.proposal;
    $("suggestion").textContent = `${t("suggested")}${t("punct_colon")}${p.category_name || "—"} → ${p.bureau_name}` + (p.urgent ? ` · ${t("priority_urgent")}` : "");
    $("suggestion").title = p.explanation || "";
    if (p.category) $("case-category").value = p.category;
    $("case-bureau").value = p.bureau;
    if (p.urgent) $("case-priority").value = "urgent";
    showUrgency(p.urgent, p.urgency || [], p.dispatch_by);
    showDeadlines(p);
  }

  // Danger to life (井盖, 燃气, 火, ...): said at once, above the save button, with the shorter deadline.
  function showUrgency(urgent, signs, dispatchBy) {
    const note = $("urgent-note");
    note.hidden = !urgent;
    if (!urgent) return;
    const why = signs.length ? `${t("urgent_because")} ${signs.join("；")}` : "";
    note.textContent = [t("urgent_case_note"), why, dispatchBy ? t("urgent_dispatch_by").replace("{time}", dispatchBy) : ""]
      .filter(Boolean).join(" · ");
  }
  $("btn-suggest").addEventListener("click", suggest);

  // One key per new case: saving the same form again (a retry after a timeout) returns the saved case.
  function newCaseKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    $("case-key").value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  newCaseKey();

  async function saveCase(event) {
    if (event) event.preventDefault();
    if (inactive) return;
    clearErrors();
    try {
      const data = await post("/agent/cases", new FormData($("case-form")), true);
      newCaseKey();
      const c = data.case;
      const urgent = c.priority === "urgent";
      $("case-result").replaceChildren(...(urgent ? [el("span", t("kind_urgent"), "tag err"), " "] : []),
        el("strong", `${t("case_created")}${t("punct_colon")}${c.number}`, "ok"),
        el("span", ` ${c.category} → ${c.bureau}` + (c.resolve_by ? ` · ${t("resolve_by")} ${c.resolve_by}` : "")));
      if (urgent) banner(t("urgent_alert").replace("{number}", c.number).replace("{time}", c.dispatch_by || "—"), "warn");
      else banner(`${t("case_created")}${t("punct_colon")}${c.number}`, "ok");
      $("case-description").value = "";
      $("case-priority").value = "normal";
      showUrgency(false);
      // The caller may have a second request, so who and where stay; the routing choices were this case's:
      // a category or bureau left selected would be forced onto the next case instead of routing it.
      $("case-category").value = "";
      $("case-bureau").value = "";
      $("case-form").elements.priority.value = "normal";
      $("suggestion").textContent = "";
      $("deadlines").textContent = "";
    } catch (err) {
      showErrors(err.fields);
      if (err.fields && err.fields.idempotency_key) newCaseKey();  // checked by the agent: next save is new
      banner(err.message || t("invalid_form"));
    }
  }
  $("case-form").addEventListener("submit", saveCase);
  $("case-form").addEventListener("input", (event) => {
    event.target.classList.remove("invalid");
    const next = event.target.nextElementSibling;
    if (next && next.classList.contains("field-error")) next.remove();
  });

  $("attach-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!$("case-linkedid").value) { banner(t("attach_needs_call")); return; }
    const data = await act("/agent/cases/attach", { number: $("attach-number").value.trim(), linkedid: $("case-linkedid").value });
    if (data) banner(`${t("case_attached")}${t("punct_colon")}${data.case.number}`, "ok");
  });

  // -- keyboard shortcuts ---------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (!event.altKey) return;
    const keys = { a: "btn-resume", p: "btn-pause", h: "btn-hangup", t: "btn-transfer" };
    const key = event.key.toLowerCase();
    if (key === "s") { event.preventDefault(); saveCase(); return; }
    if (keys[key]) { event.preventDefault(); const b = $(keys[key]); if (!b.disabled && !b.hidden) b.click(); }
  });

  // -- live feed ------------------------------------------------------------------------------------
  Console.live("agent", (message) => {
    switch (message.type) {
      case "hello": {
        const shown = message.call && !(message.call.ended && message.presence.state !== "wrapup");
        renderCall(shown ? message.call : null);
        renderPresence(message.presence);
        break;
      }
      case "presence": renderPresence(message.presence); break;
      case "pop": pop(message); break;
      case "history":
        if (call && call.linkedid === message.linkedid) {
          renderHistory(message.cases, message.repeat);
          renderFlag(message.flag);
        }
        break;
      case "phone": $("phone-warning").hidden = message.state !== "unavailable"; break;
      case "tab_taken":
        inactive = true;
        Console.stop();
        document.dispatchEvent(new CustomEvent("console:inactive"));
        document.body.classList.add("inactive");
        banner(t("another_tab"), "warn", { href: location.pathname, label: t("take_over") });
        break;
      case "call.caller_changed":
        if (call && call.linkedid === message.linkedid) {
          renderCall(message.call);
          if (!$("case-phone").value) $("case-phone").value = message.call.caller || "";
        }
        break;
      case "call.ended":
        if (call && call.linkedid === message.linkedid) {
          renderCall(message.call);
          banner(t("call_ended"), "ok");
        }
        break;
      default:
        if (message.call && call && message.call.linkedid === call.linkedid) renderCall(message.call);
    }
  });
  renderPresence(presence);
});
