// Knowledge base page: edit an article (each save is a new version) and show who changed what.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const { t, el, post, banner } = Console;
  const $ = (id) => document.getElementById(id);
  const prefix = document.querySelector('meta[name="console-prefix"]').content;

  function fill(a) {
    $("kb-editor-title").textContent = `${t("kb_edit")} · ${a.code}`;
    $("kb-existing").value = a.code;
    $("kb-code").value = a.code;
    $("kb-code").readOnly = true;
    $("kb-bureau").value = a.bureau || "";
    $("kb-category").value = a.category || "";
    $("kb-question").value = a.question;
    $("kb-answer").value = a.answer;
    $("kb-keywords").value = (a.keywords || []).join("，");
    $("kb-valid-from").value = a.valid_from || "";
    $("kb-valid-to").value = a.valid_to || "";
    $("kb-review-by").value = a.review_by || "";
    $("kb-retired").checked = !!a.retired;
    $("kb-note").value = "";
    $("kb-editor").scrollIntoView();
  }

  async function history(row, list) {
    if (!list.hidden) { list.hidden = true; return; }
    const response = await fetch(`${prefix}/knowledge/${encodeURIComponent(row.dataset.code)}/versions`,
      { headers: { Accept: "application/json" }, credentials: "same-origin" });
    const data = await response.json();
    list.replaceChildren(...(data.versions || []).map((v) =>
      el("li", `v${v.version} · ${v.changed_at} · ${v.changed_by}${v.note ? " · " + v.note : ""}`)));
    list.hidden = false;
  }

  document.querySelectorAll("tr[data-code]").forEach((row) => {
    const edit = row.querySelector(".kb-edit");
    if (edit) edit.addEventListener("click", () => fill(JSON.parse(row.dataset.article)));
    row.querySelector(".kb-history").addEventListener("click", () => history(row, row.querySelector(".kb-versions")));
  });

  const form = $("kb-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(new FormData(form).entries());
    body.keywords = (body.keywords || "").split(/[,，、\s]+/).filter(Boolean);
    body.retired = $("kb-retired").checked;
    try {
      const data = await post("/knowledge/save", body);
      $("kb-result").replaceChildren(el("strong", `${t("kb_saved")} v${data.article.version}`, "ok"));
      banner(`${t("kb_saved")} v${data.article.version}`, "ok");
      setTimeout(() => location.reload(), 800);
    } catch (err) {
      const fields = err.fields ? " " + Object.entries(err.fields).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      banner((err.message || t("invalid_form")) + (err.detail ? ` (${err.detail})` : "") + fields);
    }
  });
});
