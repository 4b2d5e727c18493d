// The sign-in form, and where the credential is kept: in memory, and in this tab's
// sessionStorage only when "stay signed in" is ticked. Never in the URL, never in localStorage.

import { $, duration } from './dom.js';

const STORE_KEY = 'pincer.credential';

/** The credential this tab stayed signed in with, if any. */
export function savedCredential() {
  try {
    const credential = JSON.parse(sessionStorage.getItem(STORE_KEY) || 'null');
    return credential && typeof credential.secret === 'string' ? credential : null;
  } catch {
    return null;
  }
}

/** Forgets the stored credential (sign-out, refusal). */
export function forgetCredential() {
  try { sessionStorage.removeItem(STORE_KEY); } catch { /* storage disabled */ }
}

function storeCredential(credential) {
  try { sessionStorage.setItem(STORE_KEY, JSON.stringify(credential)); } catch { /* storage disabled */ }
}

/** What a refusal means for the operator. */
function explain(error) {
  switch (error.code) {
    case 'UNAUTHORIZED':
      return `The gateway refused this credential (UNAUTHORIZED): ${error.message}`;
    case 'AUTH_RATE_LIMITED':
      return 'Too many failed sign-ins from this browser (AUTH_RATE_LIMITED).';
    case 'ORIGIN_NOT_ALLOWED':
    case 'HOST_NOT_ALLOWED':
      return `The gateway does not accept this page's address (${error.code}): ${error.message}`;
    case 'PROTOCOL_MISMATCH':
      return `This page and the gateway speak different protocol versions (PROTOCOL_MISMATCH): ${error.message}. Reload the page.`;
    default:
      return `${error.code}: ${error.message}`;
  }
}

/** Wires the form; `signIn(credential)` is called on submit. */
export function createSignIn({ signIn }) {
  const form = $('#signin-form');
  const secret = $('#signin-secret');
  const secretLabel = $('#signin-secret-label');
  const remember = $('#signin-remember');
  const errorBox = $('#signin-error');
  const submit = $('#signin-submit');
  let lockedUntil = 0;
  let countdown = null;

  const setBusy = (busy, label) => {
    submit.disabled = busy || Date.now() < lockedUntil;
    submit.textContent = label || 'Sign in';
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
  };

  const showError = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  };

  form.addEventListener('change', (event) => {
    if (event.target.name === 'kind') {
      secretLabel.textContent = event.target.value === 'password' ? 'Password' : 'Token';
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Empty is allowed: a gateway with `gateway.auth.mode: "none"` needs no credential (one that
    // does answers UNAUTHORIZED, "auth.token or .password is required").
    const value = secret.value.trim();
    const credential = { kind: form.elements.kind.value === 'password' ? 'password' : 'token', secret: value };
    if (remember.checked) storeCredential(credential);
    else forgetCredential();
    showError('');
    setBusy(true, 'Signing in…');
    signIn(credential);
  });

  return {
    /** Shows the form, with why the last attempt failed (a GatewayError) if it did. */
    refused(error) {
      forgetCredential();
      clearInterval(countdown);
      const text = explain(error);
      if (error.code === 'AUTH_RATE_LIMITED' && error.retryAfterMs) {
        lockedUntil = Date.now() + error.retryAfterMs;
        const tick = () => {
          const left = lockedUntil - Date.now();
          if (left <= 0) {
            clearInterval(countdown);
            showError(`${text} You can try again now.`);
            setBusy(false);
            return;
          }
          showError(`${text} Try again in ${duration(Math.ceil(left / 1000) * 1000)}.`);
        };
        tick();
        countdown = setInterval(tick, 1000);
      } else {
        showError(text);
      }
      setBusy(false);
      secret.select();
    },
    /** While the first connection of a sign-in is being made (or retried). */
    pending(message) {
      // Retrying an unreachable gateway: the form stays usable (a new submit starts over).
      setBusy(!message, message ? 'Sign in' : 'Signing in…');
      showError(message || '');
    },
    /** Back to an empty form (signed in, or signed out). */
    reset() {
      secret.value = '';
      showError('');
      setBusy(false);
    },
    focus() {
      secret.focus();
    },
  };
}
