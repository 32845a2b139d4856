// Supervisor wallboard: queue figures, agents by state and deadline cases, redrawn from live messages.
"use strict";
// "PJSIP/1001" and the browser phone's "PJSIP/webrtc-1001" are shown as "分机 1001": technology prefixes
// and endpoint names are Asterisk's business, not the supervisor's.
function extension(iface) {
  const found = /^[A-Za-z]+\/(?:webrtc-)?([0-9]+)$/.exec(String(iface || ""));
  return found ? `${Console.t("extension")} ${found[1]}` : "—";
}
// A queue by its name (综合服务（普通话）); an unnamed queue keeps its code.
function queueName(queue) {
  const text = Console.t("queue_" + queue);
  return text === "queue_" + queue ? queue : text;
}
document.addEventListener("DOMContentLoaded", () => {
  const { t, el, duration, post, banner } = Console;
  const MODES = ["listen", "whisper", "barge"];

  function cells(row, values) {
    row.replaceChildren(...values.map((v) => (v instanceof Node ? v : el("td", v)))); return row;
  }
  // An empty table says so (暂无) rather than showing its header alone.
  function rowsOrNone(rows, columns) {
    if (rows.length) return rows;
    const td = el("td", t("none_yet"), "muted"); td.colSpan = columns;
    return [cells(el("tr"), [td])];
  }
  // The case number opens the case (督办 tagged), as in the page first drawn.
  function caseCell(number, supervised) {
    const td = el("td", null, "mono"), link = el("a", number);
    link.href = `${Console.prefix}/cases/${encodeURIComponent(number)}`;
    td.append(link);
    if (supervised) td.append(" ", el("span", t("kind_supervise"), "tag err"));
    return td;
  }
  const english = document.documentElement.lang === "en";

  // A queue's row sums every Asterisk server; with several, each server's share follows (its callers wait
  // for that server's agents only).
  function figures(f) {
    return [f.waiting, f.longest_wait, f.answered, f.abandoned,
      f.service_level === null ? "—" : `${f.service_level.toFixed(1)} %`];
  }
  function serverRow(s) {
    const name = s.server === "default" ? t("server_default") : s.server;
    const label = t("server_share").replace("{server}", name).replace("{agents}", s.agents)
      .replace("{available}", s.available);
    const row = cells(el("tr"), [label, ...figures(s)]);
    row.className = "server-share"; row.dataset.testid = "queue-server";
    return row;
  }
  function drawQueues(queues) {
    document.getElementById("queue-rows").replaceChildren(...rowsOrNone(queues.flatMap((q) => [
      cells(el("tr"), [queueName(q.queue), ...figures(q)]), ...(q.servers || []).map(serverRow),
    ]), 6));
  }

  function drawAgents(agents, byState) {
    document.getElementById("agent-rows").replaceChildren(...rowsOrNone(agents.map((a) => {
      const row = cells(el("tr"), [a.name, extension(a.interface), t("state_" + a.state) + (a.reason && a.reason !== a.state ? ` (${t("reason_" + a.reason)})` : ""),
        duration(a.seconds)]);
      row.className = "agent-" + a.state;
      const tools = el("td");
      if (a.state === "on_call") {
        tools.append(...MODES.map((mode) => {
          const button = el("button", t("monitor_" + mode));
          Object.assign(button.dataset, { mode, interface: a.interface, agent: a.name });
          button.type = "button";
          return button;
        }));
      }
      row.append(tools);
      return row;
    }), 5));
    document.getElementById("agents-by-state").textContent =
      Object.entries(byState).map(([state, n]) => `${t("state_" + state)} ${n}`).join(" · ");
  }

  function drawDeadlines(rows) {
    document.getElementById("deadline-rows").replaceChildren(...rowsOrNone(rows.map((r) => {
      const row = cells(el("tr"), [caseCell(r.number, r.supervised), t("status_" + r.status),
        english && r.bureau_en ? r.bureau_en : r.bureau, (r.sla.due || "").slice(0, 16).replace("T", " "),
        r.sla.state === "overdue" ? t("overdue") : t("near")]);
      row.className = "sla-" + r.sla.state;
      return row;
    }), 5));
  }

  function drawNotices(rows) {
    const when = (iso) => (iso || "").slice(0, 16).replace("T", " ");
    document.getElementById("notice-rows").replaceChildren(...rowsOrNone(rows.map((n) => {
      const row = cells(el("tr"), [t("kind_" + n.kind), caseCell(n.number), english && n.bureau_en ? n.bureau_en : n.bureau,
        `${t("stage_" + n.stage)} ${when(n.due)}`, when(n.at)]);
      row.className = "notice-" + n.kind;
      return row;
    }), 5));
  }
  // Listen / whisper / barge: ring the supervisor's own phone into the agent's call (views/monitor.py).
  document.getElementById("agent-rows").addEventListener("click", async (event) => {
    const { mode, interface: target, agent } = event.target.dataset || {};
    if (!mode) return;
    const phone = typeof HotlinePhone === "undefined" ? null : HotlinePhone;
    const kind = phone ? phone.kind() : "desk";
    if (phone && kind === "browser") phone.expectMonitorCall(30);
    try {
      await post("/monitor", { interface: target, mode, extension: phone ? phone.extension() : "", phone: kind });
      banner(t("monitor_started").replace("{mode}", t("monitor_" + mode)).replace("{agent}", agent), "ok");
    } catch (err) {
      banner(err.message || String(err));
    }
  });

  // An urgent case (紧急工单) was just taken in: say so at once, until the supervisor has seen it.
  function alertUrgent(message) {
    const at = message.due_local || "";
    const item = el("li");
    const link = el("a", message.number, "mono");
    link.href = `${Console.prefix}/cases/${encodeURIComponent(message.number)}`;
    item.append(el("span", t("kind_urgent"), "tag err"), " ", link, " ", t("urgent_dispatch_by").replace("{time}", at));
    const list = document.getElementById("urgent-alerts");
    list.prepend(item);
    list.closest("section").hidden = false;
    banner(t("urgent_alert").replace("{number}", message.number).replace("{time}", at));
  }

  Console.live("wallboard", (message) => {
    if (message.type === "notice" && message.kind === "urgent") { alertUrgent(message); return; }
    if (message.type === "wallboard") { drawQueues(message.queues); drawAgents(message.agents, message.agents_by_state); }
    else if (message.type === "deadlines") {
      drawDeadlines(message.cases);
      if (message.notices) drawNotices(message.notices);
    }
  });
});
