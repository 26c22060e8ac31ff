// A photo picker for a status change or a note. Chosen files are uploaded at once to
// POST /v1/triage/reports/{id}/attachments (the server checks the type from the bytes, strips
// EXIF/GPS and makes the thumbnail) and shown as the server's thumbnails, i.e. as the resident
// will see them; the form then sends only their ids. The uploaded list lives in a hidden
// [data-keep] input, so a reload after a 412 or a refused save keeps the photos without
// uploading them again (an upload no change used is removed by the orphan_attachments job).
import { element } from "/web/static/svg.js";

export const MAX_PHOTOS = 5;
const ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif";

// the ids a form's picker holds, for the request body
export const attachmentIds = (form, name) => JSON.parse(form.elements[name].value || "[]").map(photo => photo.id);

// { node, caption (its label text, which the form may change) } for one form; `name` is unique
// among the report's forms
export function photoPicker(name, report, ctx, labelKey) {
  const { api, i18n } = ctx;
  const kept = element("input", { type: "hidden", name, value: "[]", "data-keep": "" });
  const chooser = element("input", { type: "file", id: `${name}-files`, accept: ACCEPT, multiple: true });
  const list = element("div", { class: "photos picked", "data-picked": name });
  const progress = element("span", { class: "hint", role: "status", "data-upload": name });
  const read = () => JSON.parse(kept.value || "[]");
  const keep = photos => { kept.value = JSON.stringify(photos); show(); };

  function show() {
    list.replaceChildren(...read().map(photo => {
      const item = element("figure", { "data-attachment": photo.id });
      const remove = element("button", { type: "button", class: "remove", "aria-label": i18n.t("removePhoto") }, "×");
      remove.addEventListener("click", () => keep(read().filter(other => other.id !== photo.id)));
      item.append(ctx.thumbnail(photo.thumbnail_url, { alt: i18n.t("attachedPhoto"), width: 96 }), remove);
      return item;
    }));
    chooser.disabled = read().length >= MAX_PHOTOS;
  }

  kept.addEventListener("change", show);  // restore() put back a list after a reload
  chooser.addEventListener("change", async () => {
    const files = [...chooser.files].slice(0, MAX_PHOTOS - read().length);
    chooser.value = "";
    if (!files.length) return;
    const body = new FormData();
    files.forEach(file => body.append("files", file));
    progress.textContent = i18n.t("uploading");
    try {
      const { data } = await api.json(`/v1/triage/reports/${report.id}/attachments`, { method: "POST", body });
      keep([...read(), ...data.attachments.map(({ id, thumbnail_url }) => ({ id, thumbnail_url }))]);
      progress.textContent = "";
    } catch (failure) {
      progress.textContent = failure.message;
    }
  });

  const caption = element("span", {}, i18n.t(labelKey));
  const label = element("label", { class: "photo-picker" });
  label.append(caption, chooser);
  const node = element("div", { class: "picker" });
  node.append(label, kept, progress, list);
  return { node, caption };
}
