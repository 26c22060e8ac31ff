// The map view: the 126 wards (shared WardMap), the queue's reports as markers at their
// position coloured by overdue / in progress / waiting, wards shaded by how many of the loaded
// reports they hold. A marker opens its report; a ward filters the queue to it.
import { WardMap, step } from "/web/static/wardmap.js";

const byId = id => document.getElementById(id);

export class MapView {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.map = null;
    byId("zoom-in").addEventListener("click", () => this.map?.zoom(1.5));
    byId("zoom-out").addEventListener("click", () => this.map?.zoom(1 / 1.5));
    byId("zoom-reset").addEventListener("click", () => this.map?.reset());
  }

  show(items) {
    this.items = items;
    if (!byId("map-view").hidden) this.draw();
  }

  draw() {
    const { ctx } = this;
    if (!ctx.wards) return;
    if (!this.map) {
      this.map = new WardMap(byId("map"), ctx.wards, {
        label: ctx.i18n.t("mapLabel"), tileUrl: ctx.config.tile_url,
        onWard: ward => { byId("f-ward").value = ward.code; byId("filters").requestSubmit(); },
      });
    }
    const perWard = new Map();
    for (const item of this.items) {
      if (!item.ward) continue;
      const entry = perWard.get(item.ward.code) || { count: 0, overdue: 0 };
      entry.count += 1;
      entry.overdue += item.overdue ? 1 : 0;
      perWard.set(item.ward.code, entry);
    }
    const max = Math.max(1, ...[...perWard.values()].map(entry => entry.count));
    this.map.colour(code => {
      const entry = perWard.get(code);
      if (!entry) return null;
      return { className: `${step(entry.count, max)}${entry.overdue ? " has-overdue" : ""}`, value: entry.count,
               title: ctx.i18n.t("reportsInWard", { name: ctx.wardName(code), count: entry.count }) };
    });
    this.map.setMarkers(this.items.filter(item => item.location).map(item => ({
      id: item.id, lat: item.location.lat, lng: item.location.lng,
      className: item.overdue ? "overdue" : item.status === "in_progress" ? "in_progress" : "waiting",
      title: `${item.code} · ${ctx.i18n.t(`status_${item.status}`)} · ${item.description.slice(0, 80)}`,
      onClick: () => ctx.openReport(item.id),
    })));
  }
}
