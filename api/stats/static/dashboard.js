// The leadership dashboard: reads /v1/stats with the pasted Firebase ID token (sessionStorage,
// sent as Bearer) and renders every text through textContent, so nothing becomes markup.
"use strict";
const TOKEN_KEY = "phananh.token";
const TEXT = {
  vi: {
    title: "Thống kê phản ánh", switch: "English", token: "Mã đăng nhập (Firebase ID token)", from: "Từ ngày",
    to: "Đến ngày", load: "Xem thống kê", signout: "Đăng xuất", headline: "Tổng quan",
    trend: "Tiếp nhận và tồn đọng theo tuần", ontime: "Tỷ lệ giải quyết đúng hạn theo đơn vị",
    categories: "Thời gian xử lý theo lĩnh vực", wards: "Phường, xã theo số phản ánh tồn đọng",
    received: "Tiếp nhận", resolved: "Đã giải quyết", backlog: "Tồn đọng", ackOnTime: "Tiếp nhận đúng hạn",
    resolveOnTime: "Giải quyết đúng hạn", ackMedian: "Trung vị thời gian tiếp nhận", resolveMedian: "Trung vị thời gian giải quyết",
    resolveP90: "P90 thời gian giải quyết", rating: "Đánh giá trung bình", reopenRate: "Tỷ lệ mở lại",
    category: "Lĩnh vực", ward: "Phường, xã", ackP90: "P90 tiếp nhận", none: "—", noToken: "Hãy dán mã đăng nhập.",
  },
  en: {
    title: "Report statistics", switch: "Tiếng Việt", token: "Sign-in token (Firebase ID token)", from: "From",
    to: "To", load: "Show statistics", signout: "Sign out", headline: "Overview",
    trend: "Received and backlog per week", ontime: "On-time resolution rate per agency",
    categories: "Response times per category", wards: "Wards and communes by open backlog",
    received: "Received", resolved: "Resolved", backlog: "Open backlog", ackOnTime: "Acknowledged on time",
    resolveOnTime: "Resolved on time", ackMedian: "Median time to acknowledge", resolveMedian: "Median time to resolve",
    resolveP90: "P90 time to resolve", rating: "Average rating", reopenRate: "Reopen rate",
    category: "Category", ward: "Ward", ackP90: "P90 acknowledge", none: "—", noToken: "Paste a sign-in token first.",
  },
};
// Proof of resolution and reasoned rejections (issue 20)
Object.assign(TEXT.vi, { proofRate: "Giải quyết có ảnh minh chứng", rejections: "Không tiếp nhận theo lý do và đơn vị",
  agency: "Đơn vị", rejected: "Không tiếp nhận" });
Object.assign(TEXT.en, { proofRate: "Resolved with a photo as proof", rejections: "Rejections by reason and agency",
  agency: "Agency", rejected: "Rejected" });
let language = sessionStorage.getItem("phananh.language") || "vi";
let lastData = null;
const t = key => TEXT[language][key];
const byId = id => document.getElementById(id);

function percent(value) { return value === null ? t("none") : `${(value * 100).toFixed(1)}%`; }
function duration(seconds) {
  if (seconds === null) return t("none");
  if (seconds < 3600) return `${Math.round(seconds / 60)} ${language === "vi" ? "phút" : "min"}`;
  if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} ${language === "vi" ? "giờ" : "h"}`;
  return `${(seconds / 86400).toFixed(1)} ${language === "vi" ? "ngày" : "days"}`;
}

function applyLanguage() {
  document.documentElement.lang = language;
  document.title = t("title");
  document.querySelectorAll("[data-i18n]").forEach(node => { node.textContent = t(node.dataset.i18n); });
  if (lastData) load();  // group names come from the server in the chosen language
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`,
                                                   "Accept-Language": language } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title || String(response.status));
  return body;
}

async function load() {
  const error = byId("error");
  error.hidden = true;
  const token = byId("token").value.trim() || sessionStorage.getItem(TOKEN_KEY);
  if (!token) { error.textContent = t("noToken"); error.hidden = false; return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  byId("token").value = "";
  const range = new URLSearchParams();
  if (byId("from").value) range.set("from", byId("from").value);
  if (byId("to").value) range.set("to", byId("to").value);
  const query = range.toString();
  try {
    const [overview, trend, agencies, categories, wards, reasons] = await Promise.all([
      getJson(`/v1/stats/overview?${query}`),
      getJson(`/v1/stats/trend?interval=week&${query}`),
      getJson(`/v1/stats/breakdown?by=agency&sort=resolve_on_time_rate&order=desc&${query}`),
      getJson(`/v1/stats/breakdown?by=category&sort=received&order=desc&${query}`),
      getJson(`/v1/stats/breakdown?by=ward&sort=backlog&order=desc&${query}`),
      getJson("/v1/triage/rejection-reasons"),
    ]);
    lastData = { overview, trend, agencies, categories, wards, reasons };
    render(lastData);
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
  }
}

function renderHeadline(figures) {
  const list = document.querySelector("#headline .figures");
  list.replaceChildren();
  const items = [["received", figures.received], ["resolved", figures.resolved], ["backlog", figures.backlog],
    ["ackOnTime", percent(figures.acknowledge_on_time_rate)], ["resolveOnTime", percent(figures.resolve_on_time_rate)],
    ["ackMedian", duration(figures.acknowledge_median_s)], ["resolveMedian", duration(figures.resolve_median_s)],
    ["resolveP90", duration(figures.resolve_p90_s)],
    ["rating", figures.average_rating === null ? t("none") : figures.average_rating.toFixed(2)],
    ["reopenRate", percent(figures.reopen_rate)], ["proofRate", percent(figures.resolved_with_proof_rate)]];
  for (const [key, value] of items) {
    const wrapper = document.createElement("div");
    const term = document.createElement("dt");
    const detail = document.createElement("dd");
    term.textContent = t(key);
    detail.textContent = String(value);
    detail.dataset.figure = key;
    wrapper.append(term, detail);
    list.appendChild(wrapper);
  }
}

function fillTable(table, headers, rows) {
  const headRow = document.createElement("tr");
  for (const header of headers) {
    const cell = document.createElement("th");
    cell.textContent = header;
    headRow.appendChild(cell);
  }
  table.tHead.replaceChildren(headRow);
  table.tBodies[0].replaceChildren(...rows.map(({ key, cells }) => {
    const row = document.createElement("tr");
    row.dataset.group = key;
    for (const value of cells) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      row.appendChild(cell);
    }
    return row;
  }));
}

function renderRejections(agencies, reasons) {
  fillTable(byId("rejection-table"), [t("agency"), t("rejected"), ...reasons.reasons.map(r => r.name), t("proofRate")],
    agencies.rows.filter(r => r.figures.rejected > 0 || r.figures.resolved > 0)
      .map(r => ({ key: r.group, cells: [r.name, r.figures.rejected,
        ...reasons.reasons.map(reason => r.figures.rejected_by_reason[reason.code] || 0),
        percent(r.figures.resolved_with_proof_rate)] })));
}

function render({ overview, trend, agencies, categories, wards, reasons }) {
  byId("content").hidden = false;
  renderHeadline(overview.figures);
  PhananhCharts.barLineChart(byId("trend-chart"),
    trend.points.map(p => ({ label: p.start, bar: p.figures.received, line: p.figures.backlog })),
    { title: t("trend"), bar: t("received"), line: t("backlog") });
  PhananhCharts.rateBarChart(byId("agency-chart"),
    agencies.rows.map(r => ({ key: r.group, label: r.name, value: r.figures.resolve_on_time_rate })), t("none"));
  fillTable(byId("category-table"), [t("category"), t("received"), t("ackMedian"), t("ackP90"), t("resolveMedian"), t("resolveP90")],
    categories.rows.map(r => ({ key: r.group, cells: [r.name, r.figures.received, duration(r.figures.acknowledge_median_s),
      duration(r.figures.acknowledge_p90_s), duration(r.figures.resolve_median_s), duration(r.figures.resolve_p90_s)] })));
  fillTable(byId("ward-table"), [t("ward"), t("backlog"), t("received"), t("resolveOnTime")],
    wards.rows.filter(r => r.figures.backlog > 0 || r.figures.received > 0)
      .map(r => ({ key: r.group, cells: [r.name, r.figures.backlog, r.figures.received, percent(r.figures.resolve_on_time_rate)] })));
  renderRejections(agencies, reasons);
  byId("content").dataset.loaded = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  byId("controls").addEventListener("submit", event => { event.preventDefault(); load(); });
  byId("signout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });
  byId("language").addEventListener("click", () => {
    language = language === "vi" ? "en" : "vi";
    sessionStorage.setItem("phananh.language", language);
    applyLanguage();
  });
  applyLanguage();
  if (sessionStorage.getItem(TOKEN_KEY)) load();
});
