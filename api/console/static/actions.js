// The action forms of a report (status, reassign, priority, note), each calling the existing
// triage endpoint with the report's ETag as If-Match. Only the moves the signed-in role may make
// are offered (the workflow table comes from /web/config.json, the API still decides).
//
// Extension point: features that add fields to a status change (outcomes.js: photos, reply
// templates, rejection reasons) push { prepare?(reportId, ctx) -> Promise (load what fields()
// needs, awaited before the report is drawn), fields(report, ctx, { target, publicNote }) ->
// [nodes] (may follow the target select's "change"), body(form) -> {}, beforeNotes?: true (its
// fields go between the target and the public note, else after the notes) } onto
// STATUS_EXTENSIONS; their fields are shown in the status form and merged into its body.
import { element } from "/web/static/svg.js";
import { attachmentIds, photoPicker } from "./attachments.js";

export const STATUS_EXTENSIONS = [];

export const prepareExtensions = (id, ctx) => Promise.all(STATUS_EXTENSIONS.map(extension => extension.prepare?.(id, ctx)));

export function field(labelKey, control, i18n) {
  const label = element("label", {});
  label.append(element("span", { "data-i18n": labelKey }, i18n.t(labelKey)), control);
  return label;
}

function form(id, titleKey, i18n, ...children) {
  const node = element("form", { id, class: "action", "aria-labelledby": `${id}-title` });
  node.append(element("h4", { id: `${id}-title`, "data-i18n": titleKey }, i18n.t(titleKey)), ...children,
              element("button", { type: "submit", "data-i18n": "save" }, i18n.t("save")));
  return node;
}

const textArea = (name, required) => element("textarea", { name, id: name, rows: 2, maxlength: 4000, "data-keep": "", required });
const reasonInput = name => element("input", { name, id: name, maxlength: 1000, required: true, "data-keep": "" });

// [{ node, submit: async () => [path, body, needsIfMatch] }] for this report and role
export function actionForms(report, ctx) {
  const { i18n, config, role } = ctx;
  const forms = [];
  const moves = config.workflow.filter(move => move.from === report.status && move.roles.includes(role));
  if (moves.length) {
    const target = element("select", { name: "status-target", id: "status-target", "data-keep": "" });
    target.append(...moves.map(move => element("option", { value: move.to }, i18n.t(`status_${move.to}`))));
    const publicNote = textArea("status-public");
    const sync = () => { publicNote.required = moves.find(m => m.to === target.value)?.public_note_required ?? false; };
    target.addEventListener("change", sync);
    sync();
    const extra = placed => STATUS_EXTENSIONS.filter(extension => Boolean(extension.beforeNotes) === placed)
      .flatMap(extension => extension.fields(report, ctx, { target, publicNote }));
    const node = form("act-status", "changeStatus", i18n, field("newStatus", target, i18n), ...extra(true),
                      field("publicNote", publicNote, i18n), field("internalNote", textArea("status-internal"), i18n),
                      ...extra(false));
    forms.push({ node, submit: () => [`/v1/triage/reports/${report.id}/status`, {
      status: target.value, public_note: publicNote.value.trim() || null,
      internal_note: node.elements["status-internal"].value.trim() || null,
      ...Object.assign({}, ...STATUS_EXTENSIONS.map(extension => extension.body(node))) }, true] });
  } else {
    forms.push({ node: element("p", { class: "hint", "data-i18n": "noMoves" }, i18n.t("noMoves")) });
  }

  const agency = element("select", { name: "reassign-agency", id: "reassign-agency", "data-keep": "" });
  if (report.ward) {
    agency.append(element("option", { value: `ward:${report.ward.code}` }, i18n.t("wardCommittee", { name: report.ward.name })));
  }
  agency.append(...config.agencies.filter(a => a.code !== report.agency)
    .map(a => element("option", { value: a.code }, i18n.language === "en" ? a.name_en : a.name_vi)));
  const reassign = form("act-reassign", "reassign", i18n, field("newAgency", agency, i18n), field("reason", reasonInput("reassign-reason"), i18n));
  forms.push({ node: reassign, submit: () => [`/v1/triage/reports/${report.id}/assign`,
    { agency: agency.value, reason: reassign.elements["reassign-reason"].value.trim() }, true] });

  const priority = element("select", { name: "priority-value", id: "priority-value", "data-keep": "" });
  priority.append(...["urgent", "normal"].filter(p => p !== report.priority)
    .map(p => element("option", { value: p }, i18n.t(`priority_${p}`))));
  const priorityForm = form("act-priority", "setPriority", i18n, field("priority", priority, i18n),
                            field("reason", reasonInput("priority-reason"), i18n));
  forms.push({ node: priorityForm, submit: () => [`/v1/triage/reports/${report.id}/priority`,
    { priority: priority.value, reason: priorityForm.elements["priority-reason"].value.trim() }, true] });
  return forms;
}

// notes are additive: open or not, any working role, no If-Match
export function noteForm(report, ctx) {
  const { i18n } = ctx;
  const isPublic = element("input", { type: "checkbox", name: "note-public", id: "note-public", "data-keep": "" });
  const publicLabel = element("label", { class: "inline" });
  publicLabel.append(isPublic, element("span", { "data-i18n": "notePublic" }, i18n.t("notePublic")));
  const node = form("act-note", "addNote", i18n, field("noteText", textArea("note-text", true), i18n), publicLabel,
                    photoPicker("note-photos", report, ctx, "notePhotos").node);
  return { node, submit: () => [`/v1/triage/reports/${report.id}/notes`,
    { text: node.elements["note-text"].value.trim(), public: isPublic.checked, attachments: attachmentIds(node, "note-photos") },
    false] };
}

// what the user has typed or picked in the action forms (photos already uploaded included), to
// put back after a reload
export function snapshot(root) {
  return [...root.querySelectorAll("[data-keep]")].map(node => [node.name,
    node.type === "checkbox" ? node.checked : node.value]);
}

export function restore(root, values) {
  for (const [name, value] of values) {
    const node = root.querySelector(`[data-keep][name="${name}"]`);
    if (!node) continue;
    if (node.type === "checkbox") node.checked = value;
    else if (node.tagName !== "SELECT" || [...node.options].some(o => o.value === value)) node.value = value;
    node.dispatchEvent(new Event("change"));  // fields that follow it (required notes, reasons, photos) catch up
  }
}

// which of the report's working fields differ between two versions (the 412 notice)
export function changedFields(before, after) {
  const notes = report => (report.replies?.length ?? 0) + (report.internal_notes?.length ?? 0);
  const checks = { status: r => r.status, agency: r => r.agency, category: r => r.routing?.category,
                   priority: r => r.priority, notes, due: r => `${r.due_acknowledge_at}|${r.due_resolve_at}` };
  return Object.entries(checks).filter(([, read]) => read(before) !== read(after)).map(([name]) => name);
}
