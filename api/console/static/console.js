// The staff console: sign in, then the queue, the map and one report at a time. What a role may
// do is the API's to enforce; the page shows only what the signed-in role would be allowed.
import { createApi } from "/web/static/http.js";
import { createI18n } from "/web/static/i18n.js";
import { Session, loadConfig } from "/web/static/session.js";
import { mountSignIn } from "/web/static/signin.js";
import { loadWards } from "/web/static/wardmap.js";
import { Detail } from "./detail.js";
import "./outcomes.js";  // photos, reply templates and rejection reasons in the status form
import { MapView } from "./map.js";
import { Queue } from "./queue.js";
import { TEXT } from "./texts.js";

const STAFF_ROLES = ["agency_staff", "triage_officer", "leadership", "admin"];
const CITY_WIDE_ROLES = ["triage_officer", "leadership", "admin"];
const WORKING_ROLES = ["agency_staff", "triage_officer", "admin"];
const byId = id => document.getElementById(id);

async function start() {
  const i18n = createI18n(TEXT);
  i18n.apply();
  const config = await loadConfig();
  const session = new Session(config);
  session.adoptDevToken();
  const ctx = { config, session, i18n, api: createApi(session, i18n), wards: null, categories: new Map() };
  ctx.wardName = code => ctx.wards?.wards.find(w => w.code === code)?.name ?? code;
  ctx.categoryName = code => (code ? ctx.categories.get(code) ?? code : i18n.t("none"));
  ctx.showError = failure => {
    byId("error").textContent = failure ? failure.message : "";
    byId("error").hidden = !failure;
  };

  const detail = new Detail(ctx);
  const queue = new Queue(ctx);
  const map = new MapView(ctx);
  ctx.openReport = (id, focus) => detail.open(id, focus);
  ctx.reportChanged = () => queue.reload();
  queue.onItems = items => map.show(items);

  function selectTab(name) {
    for (const tab of ["queue", "map"]) {
      byId(`tab-${tab}`).setAttribute("aria-selected", String(tab === name));
      byId(`${tab}-view`).hidden = tab !== name;
    }
    if (name === "map") map.draw();
  }
  byId("tab-queue").addEventListener("click", () => selectTab("queue"));
  byId("tab-map").addEventListener("click", () => selectTab("map"));
  byId("language").addEventListener("click", () => i18n.toggle());
  i18n.onChange(async () => { await loadCategories(); queue.render(); await detail.rerender(); });

  async function loadCategories() {
    const { data } = await ctx.api.json("/v1/categories");
    ctx.categories = new Map(data.map(c => [c.code, c.name]));
  }

  mountSignIn({
    session, i18n, staffRoles: STAFF_ROLES,
    async onSignedIn() {
      ctx.role = session.role;
      ctx.can = { work: WORKING_ROLES.includes(session.role), pickAgency: CITY_WIDE_ROLES.includes(session.role) };
      byId("workspace").hidden = false;
      byId("workspace").dataset.role = session.role;
      try {
        [ctx.wards] = await Promise.all([ctx.wards || loadWards(), loadCategories()]);
        queue.setUp();
        await queue.reload();
      } catch (failure) {
        ctx.showError(failure);
      }
    },
    onSignedOut() {
      byId("workspace").hidden = true;
      queue.clear();
      detail.close();
    },
  });
}

document.addEventListener("DOMContentLoaded", start);
