// One report: what staff need to work it (description, photos, history, the classifier's top 3,
// possible duplicates, notes marked internal or public, deadlines, how it was resolved or why it
// was rejected, escalations and an appeal) and the actions the role may take. Never the resident's identity: the API leaves it out for agency staff, and the console
// shows no resident uid to anyone. A 412 (someone else changed the report first) reloads it,
// names what changed and puts back what the user had typed.
import { ApiError } from "/web/static/http.js";
import { element } from "/web/static/svg.js";
import { actionForms, changedFields, noteForm, prepareExtensions, restore, snapshot } from "./actions.js";
import { OPEN_STATUSES } from "./texts.js";

const byId = id => document.getElementById(id);

export class Detail {
  constructor(ctx) {
    this.ctx = ctx;
    this.root = byId("detail");
    this.report = null;
    this.photoUrls = [];
    this.root.addEventListener("keydown", event => { if (event.key === "Escape") this.close(); });
  }

  async open(id, focus) {
    try {
      await this.load(id);
      this.render();
      this.root.hidden = false;
      (focus === "reassign" ? byId("reassign-agency") : byId("detail-title"))?.focus();
    } catch (failure) {
      this.ctx.showError(failure);
    }
  }

  async load(id) {
    const [{ data, etag }, { data: duplicates }] = await Promise.all([
      this.ctx.api.json(`/v1/reports/${id}`), this.ctx.api.json(`/v1/triage/reports/${id}/duplicates`),
      this.ctx.can.work ? prepareExtensions(id, this.ctx) : null]);
    this.report = data;
    this.etag = etag;
    this.duplicates = duplicates;
  }

  close() {
    this.root.hidden = true;
    this.root.replaceChildren();
    this.report = null;
    this.photoUrls.forEach(url => URL.revokeObjectURL(url));
    this.photoUrls = [];
  }

  // another language: the status form's extensions may need their lists in it first
  async rerender() {
    if (!this.report) return;
    if (this.ctx.can.work) await prepareExtensions(this.report.id, this.ctx);
    const typed = snapshot(this.root);
    this.render(this.notice);
    restore(this.root, typed);
  }

  // an image behind the token as a blob: URL, revoked when the report closes
  thumbnail(path, attributes) {
    const image = element("img", attributes);
    this.ctx.api.objectUrl(path).then(url => { this.photoUrls.push(url); image.src = url; }).catch(() => image.remove());
    return image;
  }

  photoList(photos, altKey) {
    const list = element("div", { class: "photos" });
    list.append(...photos.map(photo => this.thumbnail(photo.thumbnail_url,
      { alt: this.ctx.i18n.t(altKey), width: 160, "data-photo": photo.id })));
    return list;
  }

  agencyName(code) {
    if (code?.startsWith("ward:")) return this.ctx.i18n.t("wardCommittee", { name: this.ctx.wardName(code.slice(5)) });
    const agency = this.ctx.config.agencies.find(a => a.code === code);
    return agency ? (this.ctx.i18n.language === "en" ? agency.name_en : agency.name_vi) : code;
  }

  section(titleKey, ...children) {
    const node = element("section", { "data-section": titleKey });
    node.append(element("h3", {}, this.ctx.i18n.t(titleKey)), ...children);
    return node;
  }

  render(notice) {
    const { i18n, can } = this.ctx;
    const report = this.report;
    this.notice = notice;
    const header = element("header", { class: "detail-head" });
    header.append(element("h2", { id: "detail-title", tabindex: -1 }, report.code),
      element("span", { class: `badge status-${report.status}`, "data-status": report.status }, i18n.t(`status_${report.status}`)),
      report.overdue ? element("span", { class: "badge overdue" }, i18n.t("overdue")) : "",
      report.priority ? element("span", { class: `badge priority-${report.priority}` }, i18n.t(`priority_${report.priority}`)) : "",
      element("button", { type: "button", class: "close", "aria-label": i18n.t("close") }, "×"));
    header.querySelector(".close").addEventListener("click", () => this.close());
    const parts = [header];
    if (notice) parts.push(element("p", { id: "detail-notice", role: "status", class: `notice ${notice.kind}` }, notice.text));
    const facts = element("dl", { class: "facts" });
    const fact = (key, value) => facts.append(element("dt", {}, i18n.t(key)), element("dd", { "data-fact": key }, value));
    fact("agency", report.routing?.agency_name ?? report.agency ?? i18n.t("none"));
    fact("category", this.ctx.categoryName(report.routing?.category));
    fact("ward", report.ward?.name ?? i18n.t("none"));
    fact("address", report.address ?? i18n.t("none"));
    fact("location", `${report.location.lat.toFixed(5)}, ${report.location.lng.toFixed(5)}`);
    fact("dueAcknowledge", i18n.dateTime(report.due_acknowledge_at));
    fact("dueResolve", i18n.dateTime(report.due_resolve_at));
    fact("escalation", report.escalation_level ? this.escalation() : "0");
    parts.push(element("p", { class: "description", "data-description": "" }, report.description), facts);
    parts.push(this.section("photos", this.photoList(report.photos, "photos")), ...this.outcome(),
               this.classifier(), this.duplicateList(), this.history(), this.notes());
    if (can.work) parts.push(this.actions());
    else parts.push(element("p", { class: "hint" }, i18n.t("readOnly")));
    this.root.replaceChildren(...parts);
    this.root.dataset.version = report.version;
  }

  // "level 2: <body> (date)": the last step up the supervision chain
  escalation() {
    const { i18n } = this.ctx;
    const last = this.report.escalations.at(-1);
    return last ? i18n.t("escalatedTo", { level: this.report.escalation_level, body: this.agencyName(last.to),
                                          at: i18n.dateTime(last.at) }) : String(this.report.escalation_level);
  }

  // the resolution (note and after-photos), the rejection (reason, where to turn) and an appeal
  outcome() {
    const { i18n } = this.ctx;
    const { resolution, rejection, appeal } = this.report;
    const sections = [];
    const facts = (...rows) => {
      const list = element("dl", { class: "facts" });
      for (const [key, value] of rows.filter(([, v]) => v)) {
        list.append(element("dt", {}, i18n.t(key)), element("dd", { "data-fact": key }, value));
      }
      return list;
    };
    if (resolution) {
      sections.push(this.section("resolution", facts(["resolvedAt", i18n.dateTime(resolution.at)], ["publicNote", resolution.note]),
                                 this.photoList(resolution.photos, "resolutionPhotos")));
    }
    if (rejection) {
      sections.push(this.section("rejection", facts(["rejectReason", rejection.reason],
        ["redirectTo", rejection.redirect?.name], ["publicNote", rejection.note], ["rejectedAt", i18n.dateTime(rejection.at)])));
    }
    if (appeal) {
      sections.push(this.section("appeal", facts(["appealReason", appeal.reason], ["appealTo", this.agencyName(appeal.to)],
        ["appealDue", i18n.dateTime(appeal.due_at)],
        ["appealOutcome", appeal.outcome ? i18n.t(`appeal_${appeal.outcome}`) : i18n.t("appealPending")],
        ["appealNote", appeal.note])));
    }
    return sections;
  }

  classifier() {
    const { i18n, can } = this.ctx;
    const list = element("ol", { class: "suggestions" });
    const open = OPEN_STATUSES.includes(this.report.status);
    for (const guess of this.report.classification?.top_k ?? []) {
      const item = element("li", { "data-category": guess.category },
        `${this.ctx.categoryName(guess.category)} — ${i18n.percent(guess.confidence)} `);
      if (can.work && open && guess.category !== this.report.routing?.category) {
        const pick = element("button", { type: "button", class: "pick" }, i18n.t("recategorise"));
        pick.addEventListener("click", () => this.act(`/v1/triage/reports/${this.report.id}/category`,
          { category: guess.category, reason: i18n.t("suggestionReason") }, true));
        item.append(pick);
      }
      list.append(item);
    }
    return this.section("classifier", list);
  }

  duplicateList() {
    const { i18n, can } = this.ctx;
    if (!this.duplicates.length) return this.section("duplicates", element("p", {}, i18n.t("noDuplicates")));
    const list = element("ul", { class: "duplicates" });
    const open = OPEN_STATUSES.includes(this.report.status);
    for (const other of this.duplicates) {
      const item = element("li", { "data-duplicate": other.code });
      item.append(element("strong", {}, other.code), ` ${i18n.t(`status_${other.status}`)} · ${i18n.t("similarity")} `
        + `${i18n.percent(other.similarity)} — ${other.description} `);
      if (can.work && open) {
        const merge = element("button", { type: "button" }, i18n.t("merge"));
        merge.addEventListener("click", () => {
          if (confirm(i18n.t("mergeConfirm", { code: this.report.code, target: other.code }))) {
            this.act(`/v1/triage/reports/${this.report.id}/merge`, { into: other.id }, true);
          }
        });
        item.append(merge);
      }
      list.append(item);
    }
    return this.section("duplicates", list);
  }

  badge(kind) {
    return element("span", { class: `badge ${kind}` }, this.ctx.i18n.t(kind));
  }

  history() {
    const { i18n } = this.ctx;
    const list = element("ol", { class: "history" });
    for (const entry of this.report.status_history) {
      const item = element("li", { "data-status": entry.status });
      item.append(element("time", {}, i18n.dateTime(entry.at)), " ", element("strong", {}, i18n.t(`status_${entry.status}`)),
        entry.by_role ? ` (${i18n.t("by")} ${i18n.t(`role_${entry.by_role}`)})` : "");
      for (const [kind, text] of [["public", entry.note], ["internal", entry.internal_note]]) {
        if (!text) continue;
        const note = element("p", { class: `note ${kind}` });
        note.append(this.badge(kind), ` ${text}`);
        item.append(note);
      }
      if (entry.photos?.length) item.append(this.photoList(entry.photos, "attachedPhoto"));
      list.append(item);
    }
    return this.section("history", list);
  }

  notes() {
    const notes = [...this.report.replies.map(n => ({ ...n, kind: "public" })),
                   ...this.report.internal_notes.map(n => ({ ...n, kind: "internal" }))]
      .sort((a, b) => a.at.localeCompare(b.at));
    const list = element("ul", { class: "notes" });
    for (const note of notes) {
      const item = element("li", { class: `note ${note.kind}`, "data-note": note.kind });
      item.append(this.badge(note.kind), " ", element("time", {}, this.ctx.i18n.dateTime(note.at)), ` ${note.text}`);
      if (note.photos?.length) item.append(this.photoList(note.photos, "attachedPhoto"));
      list.append(item);
    }
    return this.section("notes", list);
  }

  actions() {
    const open = OPEN_STATUSES.includes(this.report.status);
    const ctx = { ...this.ctx, thumbnail: (path, attributes) => this.thumbnail(path, attributes) };
    const forms = [...(open ? actionForms(this.report, ctx) : []), noteForm(this.report, ctx)];
    for (const { node, submit } of forms) {
      if (!submit) continue;
      node.addEventListener("submit", event => {
        event.preventDefault();
        const [path, body, versioned] = submit();
        this.act(path, body, versioned);
      });
    }
    return this.section("actions", ...forms.map(f => f.node));
  }

  // one action; a 412 reloads the report and keeps what was typed, anything else is shown
  async act(path, body, versioned) {
    const { api, i18n } = this.ctx;
    try {
      const { data, etag } = await api.json(path, { method: "POST", body, ifMatch: versioned ? this.etag : undefined });
      this.report = data;
      this.etag = etag;
      this.render({ kind: "ok", text: i18n.t("saved") });
      this.ctx.reportChanged();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 412) return this.conflict();
      const typed = snapshot(this.root);
      this.render({ kind: "error", text: failure.message });
      restore(this.root, typed);
    }
  }

  async conflict() {
    const { i18n } = this.ctx;
    const typed = snapshot(this.root);
    const before = this.report;
    await this.load(before.id);
    const fields = changedFields(before, this.report).map(name => i18n.t(`field_${name}`)).join(", ");
    this.render({ kind: "conflict", text: `${i18n.t("conflict")} ${i18n.t("changed", { fields: fields || i18n.t("none") })}` });
    restore(this.root, typed);
    this.ctx.reportChanged();
  }
}
