// The queue: GET /v1/triage/queue with the filters, cursor pages ("show more"), counts per
// status from /v1/triage/counts, refreshed in place (button, every minute, after an action).
// Keyboard: j/k move the selection, Enter opens it, a opens it at the reassign form.
import { element } from "/web/static/svg.js";
import { OPEN_STATUSES, STATUSES } from "./texts.js";

const REFRESH_MS = 60_000;
const PAGE = 50;
const byId = id => document.getElementById(id);

function option(value, text, i18nKey) {
  return element("option", { value, "data-i18n": i18nKey }, text);
}

export class Queue {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.cursor = null;
    this.selected = -1;
    this.onItems = () => {};
    byId("filters").addEventListener("submit", event => { event.preventDefault(); this.reload(); });
    byId("refresh").addEventListener("click", () => this.reload());
    byId("more").addEventListener("click", () => this.load());
    document.addEventListener("keydown", event => this.shortcut(event));
    setInterval(() => { if (!document.hidden && this.ctx.session.signedIn && this.items.length <= PAGE) this.reload(); }, REFRESH_MS);
  }

  // the selects, filled for this role (agency staff: their own agency only, no agency filter)
  setUp() {
    const { i18n, config, can } = this.ctx;
    byId("agency-filter").hidden = !can.pickAgency;
    const agencies = byId("f-agency");
    agencies.replaceChildren(option("", i18n.t("allAgencies"), "allAgencies"),
      ...config.agencies.map(a => option(a.code, i18n.language === "en" ? a.name_en : a.name_vi)));
    byId("f-status").replaceChildren(option("", i18n.t("any"), "any"),
      ...STATUSES.map(s => option(s, i18n.t(`status_${s}`), `status_${s}`)));
    byId("f-category").replaceChildren(option("", i18n.t("any"), "any"),
      ...[...this.ctx.categories].map(([code, name]) => option(code, name)));
    byId("f-ward").replaceChildren(option("", i18n.t("any"), "any"),
      ...[...this.ctx.wards.wards].sort((a, b) => a.name.localeCompare(b.name, "vi")).map(w => option(w.code, w.name)));
  }

  query() {
    const params = new URLSearchParams({ limit: PAGE, sort: byId("f-sort").value });
    const fields = { agency: "f-agency", status: "f-status", category: "f-category", ward: "f-ward", overdue: "f-overdue",
                     created_from: "f-from", created_to: "f-to", q: "f-q" };
    for (const [name, id] of Object.entries(fields)) {
      const value = byId(id).value.trim();
      if (value && !(name === "agency" && !this.ctx.can.pickAgency)) params.set(name, value);
    }
    return params;
  }

  async reload() {
    this.cursor = null;
    const keep = this.items[this.selected]?.id;
    await this.load(true);
    this.selected = Math.max(0, this.items.findIndex(item => item.id === keep));
    this.highlight(false);
  }

  async load(fresh = false) {
    const params = this.query();
    if (!fresh && this.cursor) params.set("cursor", this.cursor);
    this.ctx.showError(null);
    try {
      const counts = new URLSearchParams(params.has("agency") ? { agency: params.get("agency") } : {});
      const [{ data: page }, { data: tally }] = await Promise.all([
        this.ctx.api.json(`/v1/triage/queue?${params}`), this.ctx.api.json(`/v1/triage/counts?${counts}`)]);
      this.items = fresh ? page.items : [...this.items, ...page.items];
      this.cursor = page.next_cursor;
      this.tally = tally;
      this.render();
      this.onItems(this.items);
    } catch (failure) {
      this.ctx.showError(failure);
    }
  }

  render() {
    const { i18n } = this.ctx;
    const rows = this.items.map((item, index) => {
      const row = element("tr", { tabindex: -1, "data-id": item.id, "data-code": item.code, "data-status": item.status,
                                  class: item.overdue ? "overdue" : null, "aria-label": i18n.t("openReport", { code: item.code }) });
      const due = item.overdue ? i18n.t("overdueBy", { time: i18n.duration(item.overdue_by_s) }) : i18n.dateTime(item.due_at);
      row.append(element("td", { class: "code" }, item.code),
        element("td", {}, i18n.t(`status_${item.status}`)),
        element("td", { class: "text" }, item.description),
        element("td", {}, this.ctx.categoryName(item.category)),
        element("td", {}, item.ward?.name ?? i18n.t("none")),
        element("td", { class: "due" }, due));
      row.addEventListener("click", () => { this.selected = index; this.highlight(); this.ctx.openReport(item.id); });
      return row;
    });
    if (!rows.length) {
      rows.push(element("tr", { class: "empty" }));
      rows[0].append(element("td", { colspan: 6 }, i18n.t("empty")));
    }
    byId("queue").tBodies[0].replaceChildren(...rows);
    byId("more").hidden = !this.cursor;
    this.renderCounts();
    this.highlight(false);
  }

  renderCounts() {
    const { i18n } = this.ctx;
    const parts = OPEN_STATUSES.map(status => element("span", { "data-count": status },
      `${i18n.t(`status_${status}`)}: ${this.tally?.statuses[status] ?? 0}`));
    parts.push(element("span", { "data-count": "overdue", class: "overdue" }, `${i18n.t("countOverdue")}: ${this.tally?.overdue ?? 0}`));
    byId("counts").replaceChildren(...parts);
  }

  highlight(focus = true) {
    const rows = [...byId("queue").tBodies[0].rows];
    rows.forEach((row, index) => row.setAttribute("aria-selected", String(index === this.selected)));
    if (focus && rows[this.selected]) rows[this.selected].focus();
  }

  shortcut(event) {
    if (byId("workspace").hidden || byId("queue-view").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable], #detail")) return;
    const item = this.items[this.selected];
    if (event.key === "j" || event.key === "k") {
      this.selected = Math.min(this.items.length - 1, Math.max(0, this.selected + (event.key === "j" ? 1 : -1)));
      this.highlight();
    } else if (event.key === "Enter" && item) {
      this.ctx.openReport(item.id);
    } else if (event.key === "a" && item && this.ctx.can.work) {
      this.ctx.openReport(item.id, "reassign");
    } else {
      return;
    }
    event.preventDefault();
  }

  clear() {
    this.items = [];
    this.cursor = null;
    byId("queue").tBodies[0].replaceChildren();
  }
}
