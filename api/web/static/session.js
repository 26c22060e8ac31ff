// Firebase Authentication over its REST APIs, as a staff member signs in in production:
// e-mail + password through Identity Toolkit (accounts:signInWithPassword), ID tokens renewed
// through the Secure Token API before they expire. Where those endpoints are (Google, or the
// auth emulator in dev) and the Web API key come from /web/config.json, never from this file.
// Tokens live in this tab only (sessionStorage: a reload keeps the session, closing the tab ends it).
const SESSION_KEY = "phananh.session";
const REFRESH_MARGIN_S = 300;  // renew five minutes before expiry (Firebase ID tokens last an hour)

export class SignInError extends Error {
  constructor(code) { super(code); this.code = code; }
}

export async function loadConfig() {
  const response = await fetch("/web/config.json");
  return response.json();
}

function claimsOf(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(payload.padEnd(payload.length + (4 - payload.length % 4) % 4, "=")), c => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export class Session {
  constructor(config) {
    this.config = config;
    this.listeners = [];
    this.timer = null;
    this.state = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  }

  // `phananh dev-token` in the URL fragment (#dev_token=...): only when the server says dev + loopback
  adoptDevToken() {
    const match = /(?:^#|&)dev_token=([^&]+)/.exec(location.hash);
    if (!match) return;
    history.replaceState(null, "", location.pathname + location.search);
    if (!this.config.dev_tokens) return;
    const token = decodeURIComponent(match[1]);
    this.store({ idToken: token, refreshToken: null, expiresAt: claimsOf(token).exp * 1000 });
  }

  get signedIn() { return Boolean(this.state && this.state.expiresAt > Date.now()); }
  get claims() { return this.signedIn ? claimsOf(this.state.idToken) : null; }
  get role() { return this.claims?.role || "resident"; }
  get email() { return this.claims?.email || this.claims?.user_id || ""; }
  onChange(listener) { this.listeners.push(listener); }

  store(state) {
    this.state = state;
    if (state) sessionStorage.setItem(SESSION_KEY, JSON.stringify(state));
    else sessionStorage.removeItem(SESSION_KEY);
    this.schedule();
    this.listeners.forEach(listener => listener(this));
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.state?.refreshToken) return;
    const wait = Math.max(1000, this.state.expiresAt - REFRESH_MARGIN_S * 1000 - Date.now());
    this.timer = setTimeout(() => this.refresh().catch(() => this.signOut()), wait);
  }

  async post(url, body, form) {
    if (!url) throw new SignInError("UNCONFIGURED");
    const response = await fetch(url, {
      method: "POST", body: form ? new URLSearchParams(body) : JSON.stringify(body),
      headers: { "Content-Type": form ? "application/x-www-form-urlencoded" : "application/json" },
    });
    const answer = await response.json();
    if (!response.ok) throw new SignInError(answer.error?.message || String(response.status));
    return answer;
  }

  async signIn(email, password) {
    const answer = await this.post(this.config.sign_in_url, { email, password, returnSecureToken: true });
    this.store({ idToken: answer.idToken, refreshToken: answer.refreshToken,
                 expiresAt: Date.now() + Number(answer.expiresIn) * 1000 });
  }

  async refresh() {
    const answer = await this.post(this.config.refresh_url,
      { grant_type: "refresh_token", refresh_token: this.state.refreshToken }, true);
    this.store({ idToken: answer.id_token, refreshToken: answer.refresh_token,
                 expiresAt: Date.now() + Number(answer.expires_in) * 1000 });
  }

  // the ID token for the next request; renewed first when it is about to expire
  async token() {
    if (this.state?.refreshToken && this.state.expiresAt - Date.now() < REFRESH_MARGIN_S * 1000) await this.refresh();
    if (!this.signedIn) throw new SignInError("SESSION_EXPIRED");
    return this.state.idToken;
  }

  signOut() { this.store(null); }
}
