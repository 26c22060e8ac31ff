// What a status change carries besides the move (issue 20), plugged into the status form through
// STATUS_EXTENSIONS: photos (proof of resolution: resolving a report of a category in
// /web/config.json `proof_categories` needs one, else the API answers 422 proof_required), a
// reply template that fills the public note (the user edits it and sends it with Save: picking
// sends nothing), and for `rejected` the reason code and, when the reason asks for it, where the
// resident should turn instead. The API checks all of it again; the form only guides.
import { element } from "/web/static/svg.js";
import { STATUS_EXTENSIONS, field } from "./actions.js";
import { attachmentIds, photoPicker } from "./attachments.js";

const templatesOf = new Map();  // report id -> its reply templates, filled in for it (vi and en)
const reasonsIn = new Map();    // language -> { reasons, channels } (the API translates the names)

const proofPhotos = {
  fields(report, ctx, { target }) {
    const picker = photoPicker("status-photos", report, ctx, "statusPhotos");
    const proof = ctx.config.proof_categories.includes(report.routing?.category);
    const sync = () => {
      const needed = proof && target.value === "resolved";
      picker.caption.textContent = ctx.i18n.t(needed ? "proofPhotos" : "statusPhotos");
      picker.node.classList.toggle("required", needed);
    };
    target.addEventListener("change", sync);
    sync();
    return [picker.node];
  },
  body: form => ({ attachments: attachmentIds(form, "status-photos") }),
};

const replyTemplates = {
  beforeNotes: true,
  async prepare(id, ctx) {
    const { data } = await ctx.api.json(`/v1/triage/templates?report_id=${encodeURIComponent(id)}`);
    templatesOf.set(id, data.templates);
  },
  // picking copies the text into the public note; text the user typed is replaced only if they agree
  fields(report, ctx, { target, publicNote }) {
    const { i18n } = ctx;
    const picker = element("select", { id: "status-template" });
    let inserted = "";
    const sync = () => {
      const fitting = (templatesOf.get(report.id) ?? []).filter(t => t.status === target.value);
      picker.replaceChildren(element("option", { value: "" }, i18n.t(fitting.length ? "pickTemplate" : "noTemplates")),
        ...fitting.map(t => {
          const text = t.rendered?.[i18n.language] ?? t[i18n.language];
          return element("option", { value: text, "data-template": t.key }, text.length > 70 ? `${text.slice(0, 69)}…` : text);
        }));
      picker.disabled = !fitting.length;
    };
    picker.addEventListener("change", () => {
      const current = publicNote.value.trim();
      if (picker.value && (!current || current === inserted || confirm(i18n.t("replaceNote")))) {
        publicNote.value = inserted = picker.value;
        publicNote.focus();
      }
      picker.value = "";
    });
    target.addEventListener("change", sync);
    sync();
    return [field("replyTemplate", picker, i18n)];
  },
  body: () => ({}),
};

const rejectionReason = {
  beforeNotes: true,
  async prepare(id, ctx) {
    if (!reasonsIn.has(ctx.i18n.language)) {
      reasonsIn.set(ctx.i18n.language, (await ctx.api.json("/v1/triage/rejection-reasons")).data);
    }
  },
  fields(report, ctx, { target }) {
    const { i18n, config } = ctx;
    const { reasons, channels } = reasonsIn.get(i18n.language);
    const reason = element("select", { name: "reject-reason", id: "reject-reason", "data-keep": "" });
    reason.append(element("option", { value: "" }, i18n.t("pickReason")),
      ...reasons.map(r => element("option", { value: r.code, "data-redirect": r.redirect }, r.name)));
    const redirect = element("select", { name: "reject-redirect", id: "reject-redirect", "data-keep": "" });
    const group = (labelKey, options) => {
      const node = element("optgroup", { label: i18n.t(labelKey) });
      node.append(...options.map(([value, name]) => element("option", { value }, name)));
      return node;
    };
    redirect.append(element("option", { value: "" }, i18n.t("none")),
      group("channels", Object.entries(channels)),
      group("agencies", config.agencies.filter(a => a.code !== report.agency)
        .map(a => [a.code, i18n.language === "en" ? a.name_en : a.name_vi])),
      group("wardCommittees", (ctx.wards?.wards ?? []).map(w => [`ward:${w.code}`, i18n.t("wardCommittee", { name: w.name })])));
    const reasonField = field("rejectReason", reason, i18n);
    const redirectField = field("redirectTo", redirect, i18n);
    const sync = () => {
      const rejecting = target.value === "rejected";
      const wants = reason.selectedOptions[0]?.dataset.redirect ?? "none";
      reasonField.hidden = !rejecting;
      reason.required = rejecting;
      redirectField.hidden = !rejecting || wants === "none";
      redirect.required = rejecting && wants === "required";
    };
    target.addEventListener("change", sync);
    reason.addEventListener("change", sync);
    sync();
    return [reasonField, redirectField];
  },
  body(form) {
    if (form.elements["status-target"].value !== "rejected") return {};
    const redirect = form.elements["reject-redirect"];
    return { reason_code: form.elements["reject-reason"].value,
             redirect: redirect.closest("label").hidden ? null : redirect.value || null };
  },
};

STATUS_EXTENSIONS.push(rejectionReason, replyTemplates, proofPhotos);  // the form's order: reason, reply, photos
