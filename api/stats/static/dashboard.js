// The leadership dashboard: signs in like the staff console (shared modules), reads /v1/stats
// with the ID token and renders every text through textContent, so nothing becomes markup.
import { createApi } from "/web/static/http.js";
import { createI18n } from "/web/static/i18n.js";
import { Session, loadConfig } from "/web/static/session.js";
import { mountSignIn } from "/web/static/signin.js";
import { element } from "/web/static/svg.js";
import { WardMap, loadWards, step } from "/web/static/wardmap.js";
import { barLineChart, rateBarChart } from "./charts.js";

const TEXT = {
  vi: {
    title: "Thống kê phản ánh", from: "Từ ngày", to: "Đến ngày", load: "Xem thống kê", headline: "Tổng quan",
    trend: "Tiếp nhận và tồn đọng theo tuần", ontime: "Tỷ lệ giải quyết đúng hạn theo đơn vị",
    categories: "Thời gian xử lý theo lĩnh vực", wards: "Phường, xã theo số phản ánh tồn đọng",
    received: "Tiếp nhận", resolved: "Đã giải quyết", backlog: "Tồn đọng", ackOnTime: "Tiếp nhận đúng hạn",
    resolveOnTime: "Giải quyết đúng hạn", ackMedian: "Trung vị thời gian tiếp nhận", resolveMedian: "Trung vị thời gian giải quyết",
    resolveP90: "P90 thời gian giải quyết", rating: "Đánh giá trung bình", reopenRate: "Tỷ lệ mở lại",
    category: "Lĩnh vực", ward: "Phường, xã", ackP90: "P90 tiếp nhận", wardMap: "Bản đồ phường, xã", measure: "Chỉ số",
    overdueShare: "Tỷ lệ quá hạn", low: "thấp", high: "cao", mapLabel: "Bản đồ 126 phường, xã theo chỉ số đã chọn",
    overdueShareHint: "Tỷ lệ quá hạn: số lần quá hạn trong kỳ trên số phản ánh tiếp nhận.",
    supervision: "Chuyển cấp trên và khiếu nại theo đơn vị", agency: "Đơn vị", escalated: "Chuyển cấp trên",
    appealed: "Khiếu nại", overturnRate: "Tỷ lệ khiếu nại được chấp nhận",
  },
  en: {
    title: "Report statistics", from: "From", to: "To", load: "Show statistics", headline: "Overview",
    trend: "Received and backlog per week", ontime: "On-time resolution rate per agency",
    categories: "Response times per category", wards: "Wards and communes by open backlog",
    received: "Received", resolved: "Resolved", backlog: "Open backlog", ackOnTime: "Acknowledged on time",
    resolveOnTime: "Resolved on time", ackMedian: "Median time to acknowledge", resolveMedian: "Median time to resolve",
    resolveP90: "P90 time to resolve", rating: "Average rating", reopenRate: "Reopen rate",
    category: "Category", ward: "Ward", ackP90: "P90 acknowledge", wardMap: "Ward map", measure: "Measure",
    overdueShare: "Overdue share", low: "low", high: "high", mapLabel: "Map of the 126 wards by the chosen measure",
    overdueShareHint: "Overdue share: deadlines missed in the period per report received.",
    supervision: "Escalations and appeals per agency", agency: "Agency", escalated: "Escalated",
    appealed: "Appealed", overturnRate: "Appeals overturned",
  },
};
// Proof of resolution and reasoned rejections (issue 20)
Object.assign(TEXT.vi, { proofRate: "Giải quyết có ảnh minh chứng", rejections: "Không tiếp nhận theo lý do và đơn vị",
  agency: "Đơn vị", rejected: "Không tiếp nhận" });
Object.assign(TEXT.en, { proofRate: "Resolved with a photo as proof", rejections: "Rejections by reason and agency",
  agency: "Agency", rejected: "Rejected" });
const i18n = createI18n(TEXT);
const byId = id => document.getElementById(id);
let api = null;
let lastData = null;
let wardMap = null;

async function load() {
  const error = byId("error");
  error.hidden = true;
  const range = new URLSearchParams();
  if (byId("from").value) range.set("from", byId("from").value);
  if (byId("to").value) range.set("to", byId("to").value);
  const query = range.toString();
  const get = async path => (await api.json(path)).data;
  try {
    const [overview, trend, agencies, categories, wards, outlines, reasons] = await Promise.all([
      get(`/v1/stats/overview?${query}`),
      get(`/v1/stats/trend?interval=week&${query}`),
      get(`/v1/stats/breakdown?by=agency&sort=resolve_on_time_rate&order=desc&${query}`),
      get(`/v1/stats/breakdown?by=category&sort=received&order=desc&${query}`),
      get(`/v1/stats/breakdown?by=ward&sort=backlog&order=desc&${query}`),
      wardMap ? wardMap.outlines : loadWards(),
      get("/v1/triage/rejection-reasons"),
    ]);
    lastData = { overview, trend, agencies, categories, wards, outlines, reasons };
    render(lastData);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
}

function renderHeadline(figures) {
  const list = document.querySelector("#headline .figures");
  const items = [["received", figures.received], ["resolved", figures.resolved], ["backlog", figures.backlog],
    ["ackOnTime", i18n.percent(figures.acknowledge_on_time_rate)], ["resolveOnTime", i18n.percent(figures.resolve_on_time_rate)],
    ["ackMedian", i18n.duration(figures.acknowledge_median_s)], ["resolveMedian", i18n.duration(figures.resolve_median_s)],
    ["resolveP90", i18n.duration(figures.resolve_p90_s)],
    ["rating", figures.average_rating === null ? i18n.t("none") : figures.average_rating.toFixed(2)],
    ["reopenRate", i18n.percent(figures.reopen_rate)], ["escalated", figures.escalated], ["appealed", figures.appealed],
    ["overturnRate", i18n.percent(figures.overturn_rate)], ["proofRate", i18n.percent(figures.resolved_with_proof_rate)]];
  list.replaceChildren(...items.map(([key, value]) => {
    const wrapper = element("div");
    wrapper.append(element("dt", {}, i18n.t(key)), element("dd", { "data-figure": key }, value));
    return wrapper;
  }));
}

function fillTable(table, headers, rows) {
  const headRow = element("tr");
  headRow.append(...headers.map(header => element("th", {}, header)));
  table.tHead.replaceChildren(headRow);
  table.tBodies[0].replaceChildren(...rows.map(({ key, cells }) => {
    const row = element("tr", { "data-group": key });
    row.append(...cells.map(value => element("td", {}, value)));
    return row;
  }));
}

// the chosen measure per ward: reports received, on-time resolution, or overdue per report received
function measure(figures, name) {
  if (name === "overdue_share") return figures.received ? Math.min(1, figures.overdue / figures.received) : null;
  return figures[name];
}

function renderWardMap(wards, outlines) {
  if (!wardMap) wardMap = new WardMap(byId("ward-map"), outlines, { label: i18n.t("mapLabel") });
  const name = byId("ward-measure").value;
  const values = new Map(wards.rows.map(row => [row.group, { row, value: measure(row.figures, name) }]));
  const rate = name !== "received";
  const max = rate ? 1 : Math.max(1, ...[...values.values()].map(v => v.value ?? 0));
  wardMap.colour(code => {
    const entry = values.get(code);
    if (!entry || entry.value === null || (!rate && !entry.value)) return { className: "step-none", title: entry?.row.name };
    const shown = rate ? i18n.percent(entry.value) : String(entry.value);
    return { className: step(entry.value, max), value: entry.value, title: `${entry.row.name}: ${shown}` };
  });
  const scale = byId("ward-scale");
  scale.replaceChildren(element("span", {}, i18n.t("low")),
    ...[0, 1, 2, 3, 4].map(i => element("i", { class: `step-${i}` })), element("span", {}, i18n.t("high")));
}

function renderRejections(agencies, reasons) {
  fillTable(byId("rejection-table"),
    [i18n.t("agency"), i18n.t("rejected"), ...reasons.reasons.map(r => r.name), i18n.t("proofRate")],
    agencies.rows.filter(r => r.figures.rejected > 0 || r.figures.resolved > 0)
      .map(r => ({ key: r.group, cells: [r.name, r.figures.rejected,
        ...reasons.reasons.map(reason => r.figures.rejected_by_reason[reason.code] || 0),
        i18n.percent(r.figures.resolved_with_proof_rate)] })));
}

function render({ overview, trend, agencies, categories, wards, outlines, reasons }) {
  byId("content").hidden = false;
  renderHeadline(overview.figures);
  barLineChart(byId("trend-chart"),
    trend.points.map(p => ({ label: p.start, bar: p.figures.received, line: p.figures.backlog })),
    { title: i18n.t("trend"), bar: i18n.t("received"), line: i18n.t("backlog") });
  rateBarChart(byId("agency-chart"),
    agencies.rows.map(r => ({ key: r.group, label: r.name, value: r.figures.resolve_on_time_rate })), i18n.t("none"));
  fillTable(byId("category-table"), ["category", "received", "ackMedian", "ackP90", "resolveMedian", "resolveP90"].map(key => i18n.t(key)),
    categories.rows.map(r => ({ key: r.group, cells: [r.name, r.figures.received, i18n.duration(r.figures.acknowledge_median_s),
      i18n.duration(r.figures.acknowledge_p90_s), i18n.duration(r.figures.resolve_median_s), i18n.duration(r.figures.resolve_p90_s)] })));
  fillTable(byId("ward-table"), ["ward", "backlog", "received", "resolveOnTime"].map(key => i18n.t(key)),
    wards.rows.filter(r => r.figures.backlog > 0 || r.figures.received > 0)
      .map(r => ({ key: r.group, cells: [r.name, r.figures.backlog, r.figures.received, i18n.percent(r.figures.resolve_on_time_rate)] })));
  fillTable(byId("supervision-table"), [i18n.t("agency"), i18n.t("escalated"), i18n.t("appealed"), i18n.t("overturnRate")],
    agencies.rows.filter(r => r.figures.escalated > 0 || r.figures.appealed > 0)
      .map(r => ({ key: r.group, cells: [r.name, r.figures.escalated, r.figures.appealed, i18n.percent(r.figures.overturn_rate)] })));
  renderRejections(agencies, reasons);
  renderWardMap(wards, outlines);
  byId("content").dataset.loaded = "true";
}

async function start() {
  i18n.apply();
  const session = new Session(await loadConfig());
  session.adoptDevToken();
  api = createApi(session, i18n);
  byId("controls").addEventListener("submit", event => { event.preventDefault(); load(); });
  byId("ward-measure").addEventListener("change", () => lastData && renderWardMap(lastData.wards, lastData.outlines));
  byId("language").addEventListener("click", () => i18n.toggle());
  i18n.onChange(() => { if (lastData) load(); });  // group names come from the server in the chosen language
  mountSignIn({
    session, i18n, staffRoles: ["leadership", "admin", "triage_officer", "agency_staff"],
    onSignedIn() { byId("controls").hidden = false; load(); },
    onSignedOut() { byId("controls").hidden = true; byId("content").hidden = true; lastData = null; },
  });
}

document.addEventListener("DOMContentLoaded", start);
