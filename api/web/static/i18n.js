// Page texts in Vietnamese (default) and English: one dictionary per page merged with the shared
// one, applied to [data-i18n] (text), [data-i18n-label] (aria-label) and [data-i18n-placeholder].
const LANGUAGE_KEY = "phananh.language";

export const SHARED_TEXT = {
  vi: {
    switch: "English", email: "E-mail", password: "Mật khẩu", signin: "Đăng nhập", signout: "Đăng xuất",
    signinTitle: "Đăng nhập cán bộ", signedInAs: "Đăng nhập:", notStaff: "Tài khoản này không có quyền cán bộ.",
    badCredentials: "E-mail hoặc mật khẩu không đúng.", signinUnavailable: "Chưa cấu hình đăng nhập.",
    sessionExpired: "Phiên đăng nhập đã hết hạn, hãy đăng nhập lại.", none: "—",
    role_agency_staff: "Cán bộ đơn vị", role_triage_officer: "Cán bộ tiếp nhận", role_leadership: "Lãnh đạo",
    role_admin: "Quản trị", role_resident: "Người dân", role_system: "Hệ thống",
  },
  en: {
    switch: "Tiếng Việt", email: "E-mail", password: "Password", signin: "Sign in", signout: "Sign out",
    signinTitle: "Staff sign-in", signedInAs: "Signed in:", notStaff: "This account has no staff role.",
    badCredentials: "Wrong e-mail or password.", signinUnavailable: "Sign-in is not configured.",
    sessionExpired: "Your session expired; please sign in again.", none: "—",
    role_agency_staff: "Agency staff", role_triage_officer: "Triage officer", role_leadership: "Leadership",
    role_admin: "Administrator", role_resident: "Resident", role_system: "System",
  },
};

export function createI18n(pageText) {
  const text = { vi: { ...SHARED_TEXT.vi, ...pageText.vi }, en: { ...SHARED_TEXT.en, ...pageText.en } };
  const listeners = [];
  const i18n = {
    language: sessionStorage.getItem(LANGUAGE_KEY) === "en" ? "en" : "vi",
    t(key, values) {
      const template = text[i18n.language][key] ?? text.vi[key] ?? key;
      return values ? template.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? "")) : template;
    },
    apply(root = document) {
      document.documentElement.lang = i18n.language;
      root.querySelectorAll("[data-i18n]").forEach(node => { node.textContent = i18n.t(node.dataset.i18n); });
      root.querySelectorAll("[data-i18n-label]").forEach(node => node.setAttribute("aria-label", i18n.t(node.dataset.i18nLabel)));
      root.querySelectorAll("[data-i18n-placeholder]").forEach(node => { node.placeholder = i18n.t(node.dataset.i18nPlaceholder); });
    },
    toggle() {
      i18n.language = i18n.language === "vi" ? "en" : "vi";
      sessionStorage.setItem(LANGUAGE_KEY, i18n.language);
      i18n.apply();
      listeners.forEach(listener => listener(i18n.language));
    },
    onChange(listener) { listeners.push(listener); },
    // dates and numbers in the reader's language, in Hanoi time
    dateTime(value) {
      return value ? new Date(value).toLocaleString(i18n.language === "vi" ? "vi-VN" : "en-GB",
        { timeZone: "Asia/Ho_Chi_Minh", dateStyle: "short", timeStyle: "short" }) : i18n.t("none");
    },
    // "45 min", "3.0 h", "2.5 days"
    duration(seconds) {
      if (seconds === null || seconds === undefined) return i18n.t("none");
      const vi = i18n.language === "vi";
      if (seconds < 3600) return `${Math.round(seconds / 60)} ${vi ? "phút" : "min"}`;
      if (seconds < 172800) return `${(seconds / 3600).toFixed(1)} ${vi ? "giờ" : "h"}`;
      return `${(seconds / 86400).toFixed(1)} ${vi ? "ngày" : "days"}`;
    },
    percent(value) { return value === null || value === undefined ? i18n.t("none") : `${(value * 100).toFixed(1)}%`; },
  };
  return i18n;
}
