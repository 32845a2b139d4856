// Shared console helpers: messages, CSRF-protected JSON posts, the live WebSocket with reconnection.
"use strict";
const Console = (() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const T = JSON.parse(document.getElementById("catalogue").textContent);
  const prefix = meta("console-prefix");
  const csrf = meta("csrf-token");
  const tab = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2);
  let stopped = false;

  function t(key) { return T[key] || key; }

  function banner(text, kind = "error", action = null) {
    const el = document.getElementById("banner");
    el.textContent = text;
    el.className = "banner " + kind;
    if (action) {
      const link = document.createElement("a");
      link.href = action.href; link.textContent = action.label; link.className = "banner-action";
      el.append(" ", link);
    }
    el.hidden = !text;
  }

  function expired(message) {
    stopped = true;
    banner(message || t("session_expired"), "error", { href: prefix + "/login?reason=session_expired", label: t("login") });
    document.body.classList.add("inactive");
  }

  async function post(path, body, form = false) {
    const headers = { "Accept": "application/json", "X-CSRF-Token": csrf, "X-Console-Tab": tab };
    if (!form) headers["Content-Type"] = "application/json";
    const response = await fetch(prefix + path, {
      method: "POST", headers, credentials: "same-origin", body: form ? body : JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await response.json(); } catch (_err) { data = { message: response.statusText }; }
    if (response.status === 401) { expired(data.message); throw data; }
    if (!response.ok) {
      if (!data.message && data.detail) data.message = String(data.detail);
      data.status = response.status;
      throw data;
    }
    return data;
  }

  function live(page, onMessage) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}${prefix}/ws?page=${page}&tab=${encodeURIComponent(tab)}`;
    let delay = 500;
    function connect() {
      if (stopped) return;
      const ws = new WebSocket(url);
      ws.onopen = () => { delay = 500; if (document.getElementById("banner").dataset.live) banner(""); };
      ws.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.type === "session_expired" || message.type === "not_logged_in") { expired(t(message.type)); return; }
        onMessage(message);
      };
      ws.onclose = (event) => {
        if (event.code === 4401 || event.code === 4403 || stopped) return;
        const el = document.getElementById("banner");
        banner(t("connection_lost"), "warn"); el.dataset.live = "1";
        setTimeout(connect, delay); delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
  }

  function stop() { stopped = true; }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return `${m}:${String(s).padStart(2, "0")}`;
  }

  return { t, banner, post, live, stop, tab, prefix, el, duration, expired };
})();

// Date fields (templates/_date.html) are text written 2026-12-02 whatever the browser's locale: a day typed as
// 2026/12/2, 2026.12.02 or 2026年12月2日 is put in that form, and the calendar button opens the browser's own
// picker on a hidden native field whose choice comes back in the same form.
(() => {
  const pad = (n) => String(n).padStart(2, "0");
  const DAY = /^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$/;
  const MONTH = /^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$/;

  function normalise(field) {
    const month = field.dataset.kind === "month";
    const found = (month ? MONTH : DAY).exec(field.value);
    if (!found) return;
    const [, y, m, d] = found;
    field.value = month ? `${y}-${pad(m)}` : `${y}-${pad(m)}-${pad(d)}`;
  }

  function pick(field, button) {
    let native = button.nextElementSibling;
    if (!native || !native.classList.contains("date-native")) {
      native = document.createElement("input");
      native.type = field.dataset.kind === "month" ? "month" : "date";
      native.className = "date-native";
      native.tabIndex = -1;
      native.setAttribute("aria-hidden", "true");
      native.addEventListener("change", () => {
        field.value = native.value;
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
        field.focus();
      });
      button.after(native);
    }
    normalise(field);
    native.value = field.checkValidity() ? field.value : "";
    try { native.showPicker(); } catch (_err) { native.focus(); native.click(); }
  }

  for (const field of document.querySelectorAll("input.date-field")) {
    field.addEventListener("change", () => normalise(field));
    field.addEventListener("blur", () => normalise(field));
    field.addEventListener("keydown", (event) => { if (event.key === "Enter") normalise(field); });
    const button = field.nextElementSibling;
    if (button && button.classList.contains("date-pick")) {
      button.hidden = false;
      button.addEventListener("click", () => pick(field, button));
    }
  }
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => form.querySelectorAll("input.date-field").forEach(normalise), true);
  }
})();
