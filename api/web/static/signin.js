// The sign-in form and the signed-in bar, the same on every staff page. Expects in the page:
// #signin (section with form#signin-form, #email, #password, #signin-error) and #userbar
// (#user-email, #user-role, #signout). Calls onSignedIn(session) once per sign-in.
import { SignInError } from "./session.js";

const WRONG_CREDENTIALS = ["EMAIL_NOT_FOUND", "INVALID_PASSWORD", "INVALID_LOGIN_CREDENTIALS", "INVALID_EMAIL"];

export function mountSignIn({ session, i18n, staffRoles, onSignedIn, onSignedOut }) {
  const byId = id => document.getElementById(id);
  const error = byId("signin-error");

  function showError(key) {
    error.textContent = i18n.t(key);
    error.hidden = false;
  }

  function render() {
    const signedIn = session.signedIn && staffRoles.includes(session.role);
    byId("signin").hidden = signedIn;
    byId("userbar").hidden = !signedIn;
    if (signedIn) {
      byId("user-email").textContent = session.email;
      byId("user-role").textContent = i18n.t(`role_${session.role}`);
      byId("user-role").dataset.role = session.role;
    }
    return signedIn;
  }

  byId("signin-form").addEventListener("submit", async event => {
    event.preventDefault();
    error.hidden = true;
    try {
      await session.signIn(byId("email").value.trim(), byId("password").value);
    } catch (failure) {
      const code = failure instanceof SignInError ? failure.code : failure.message;
      if (code === "UNCONFIGURED") showError("signinUnavailable");
      else if (WRONG_CREDENTIALS.some(known => code.startsWith(known))) showError("badCredentials");
      else { error.textContent = code; error.hidden = false; }  // e.g. the auth service unreachable
      return;
    }
    byId("password").value = "";
    if (!staffRoles.includes(session.role)) { session.signOut(); showError("notStaff"); }
  });
  byId("signout").addEventListener("click", () => session.signOut());
  i18n.onChange(render);

  let wasSignedIn = false;
  const changed = () => {
    const signedIn = render();
    if (signedIn && !wasSignedIn) onSignedIn(session);
    if (!signedIn && wasSignedIn) {
      onSignedOut();
      byId("email").focus();
    }
    wasSignedIn = signedIn;
  };
  session.onChange(changed);
  changed();
}
