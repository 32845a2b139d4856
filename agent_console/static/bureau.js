// Bureau list: reload when a case of the hotline changes (new dispatch, another clerk's action).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  let pending = null;
  Console.live("bureau", (message) => {
    if (message.type !== "case") return;
    const editing = document.activeElement && document.activeElement.tagName === "INPUT" && document.activeElement.value;
    if (editing || pending) return;
    pending = setTimeout(() => location.reload(), 500);
  });
});
