// The callback list: click-to-call rings the agent's phone, then the resident (POST /agent/callback).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.call-back")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const answer = await Console.post("/agent/callback", { number: button.dataset.number });
        Console.banner(Console.t("callback_ringing") + " " + (answer.phone || ""), "info");
      } catch (err) {
        Console.banner(err.message || Console.t("callback_refused"));
      } finally {
        button.disabled = false;
      }
    });
  }
});
