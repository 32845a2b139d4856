// Knowledge base beside the screen pop: suggestions from the live transcript and the typed request, a
// search box, and one click to record a direct answer (直接答复) as a closed consultation case.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { t, el, post, banner } = Console;
  const $ = (id) => document.getElementById(id);
  if (!$("kb-panel")) return;
  let lastText = "";
  let timer = null;

  function render(articles, source) {
    $("kb-source").textContent = t(source);
    if (!articles.length) { $("kb-results").replaceChildren(el("li", t("kb_no_match"), "muted")); return; }
    $("kb-results").replaceChildren(...articles.map((a) => {
      const item = el("li");
      item.dataset.code = a.code;
      const english = document.documentElement.lang === "en";
      const keeper = (english ? a.bureau_name_en : a.bureau_name) || t("kb_centre");
      const button = el("button", t("kb_answer_directly"), "primary");
      button.type = "button";
      button.dataset.testid = "kb-answer";
      button.addEventListener("click", () => answer(a, button));
      item.append(el("div", a.question, "question"), el("div", a.answer, "answer"),
        el("div", `${t("kb_keeper")}${t("punct_colon")}${keeper} · ${t("kb_matched")}${t("punct_colon")}`
          + (a.matched || []).join(english ? ", " : "、"), "meta"),
        button);
      return item;
    }));
  }

  async function search(text, source) {
    const q = text.trim();
    if (!q || q === lastText) return;
    lastText = q;
    try {
      const data = await post("/agent/knowledge/search", { q });
      render(data.articles || [], source);
    } catch (err) {
      banner(err.message || t("kb_no_match"));
    }
  }

  function later(text, source) {
    clearTimeout(timer);
    timer = setTimeout(() => search(text, source), 600);
  }

  async function answer(article, button) {
    button.disabled = true;
    const body = {
      article: article.code,
      description: $("case-description").value.trim() || transcriptText() || article.question,
      caller_phone: $("case-phone").value.trim(),
      street: $("case-street").value,
      linkedid: $("case-linkedid").value,
    };
    try {
      const data = await post("/agent/knowledge/answer", body);
      banner(`${t("kb_answered")} ${data.case.number}`, "ok");
      $("case-result").replaceChildren(el("strong", `${t("kb_answered")} ${data.case.number}`, "ok"));
    } catch (err) {
      banner(err.message + (err.detail ? ` (${err.detail})` : ""));
      button.disabled = false;
    }
  }

  function transcriptText() {
    return [...$("pop-transcript").querySelectorAll("p:not(.empty)")].map((p) => p.textContent).join(" ").trim();
  }

  $("kb-search").addEventListener("submit", (event) => {
    event.preventDefault();
    lastText = "";
    search($("kb-query").value, "kb_from_query");
  });
  $("case-description").addEventListener("input", () => later($("case-description").value, "kb_from_description"));
  // The pop script rewrites the transcript as the caller speaks: suggest from what was said so far.
  new MutationObserver(() => later(transcriptText(), "kb_from_transcript"))
    .observe($("pop-transcript"), { childList: true, subtree: true, characterData: true });
});
