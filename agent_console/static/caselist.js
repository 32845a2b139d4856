// Case lists (bureau workspace, dispatch desk, supervisor list): live case changes and deadline notices.
// Notices are pushed over the live socket; the list is also re-read every minute, in case the socket was
// down when one came.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("notices");
  const page = box.dataset.page;  // bureau, dispatch or supervisor
  let pending = null;

  async function refreshNotices() {
    try {
      const response = await fetch(`${Console.prefix}/notices?page=${page}`, { credentials: "same-origin" });
      if (response.ok) box.innerHTML = await response.text();
    } catch (_err) { /* offline: the next push or poll tries again */ }
  }

  Console.live(page === "bureau" ? "bureau" : "desk", (message) => {
    if (message.type === "notice") { refreshNotices(); return; }
    // A bureau's list reloads when one of its cases changes (a new dispatch, another clerk's action).
    if (message.type !== "case" || page !== "bureau") return;
    const editing = document.activeElement && document.activeElement.tagName === "INPUT" && document.activeElement.value;
    if (editing || pending) return;
    pending = setTimeout(() => location.reload(), 500);
  });
  setInterval(refreshNotices, 60000);
});
