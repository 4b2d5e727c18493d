// The Control UI's shell: sign-in state, the connection pill, hash routing between the views,
// toasts and the confirmation dialog. Everything goes over the gateway's WebSocket protocol.

import { Gateway, socketUrl } from './gateway.js';
import { $, h, duration, describe } from './dom.js';
import { createSignIn, savedCredential, forgetCredential } from './signin.js';
import { createChat } from './chat.js';
import { createSessions } from './sessions.js';
import { createSubagents } from './subagents.js';
import { createPairing } from './pairing.js';
import { createCron } from './cron.js';
import { createActors } from './actors.js';
import { createMcp } from './mcp.js';
import { createHealth } from './health.js';
import { createSkills } from './skills.js';

const TITLES = { chat: 'Chat', sessions: 'Sessions', subagents: 'Sub-agents', pairing: 'Pairing', actors: 'Actors', health: 'Health', skills: 'Skills', mcp: 'MCP', cron: 'Cron' };

const gw = new Gateway(socketUrl(window.location));
const body = document.body;
const pill = $('#conn-status');
const retryNow = $('#reconnect-now');
let current = null;
let countdown = null;

/** Shows a short message; `kind` is info, ok or error. */
function toast(message, kind = 'info') {
  const item = h('div', { class: `toast ${kind}` }, message);
  $('#toasts').append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Asks before something irreversible; resolves to true when confirmed. */
function confirm(title, text, okLabel = 'Confirm') {
  const dialog = $('#confirm-dialog');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = okLabel;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

const ctx = {
  gw,
  toast,
  confirm,
  health: null,
  presence: null,
  /** This tab's connection id (its actor is /gateway/clients/<id>). */
  connId: () => gw.hello?.server?.connId,
  navigate: (view) => { window.location.hash = `#/${view}`; },
  /** Sets the latest health figures and tells the views. */
  setHealth(health) {
    ctx.health = health;
    const badge = $('#health-badge');
    badge.hidden = Boolean(health?.ok) && !(health?.alerts?.length);
    badge.title = health?.ok ? 'active alerts' : 'not ready';
    for (const view of Object.values(views)) view.onHealth?.(health);
  },
  /** Refreshes the health figures (on tick, and when the health view polls). */
  async refreshHealth() {
    try {
      ctx.setHealth(await gw.request('health'));
    } catch { /* the next tick retries */ }
  },
};

const views = {
  chat: createChat(ctx),
  sessions: createSessions(ctx),
  subagents: createSubagents(ctx),
  pairing: createPairing(ctx),
  cron: createCron(ctx),
  actors: createActors(ctx),
  mcp: createMcp(ctx),
  health: createHealth(ctx),
  skills: createSkills(ctx),
};
ctx.views = views;

const signIn = createSignIn({
  signIn(credential) {
    body.dataset.auth = 'signing-in';
    gw.start(credential);
  },
});

function showSection(name) {
  for (const section of document.querySelectorAll('main > .view')) {
    section.hidden = section.id !== `view-${name}`;
  }
}

/** Shows the view named by the URL's hash (`#/actors`), or the sign-in form. */
function route({ focus = false } = {}) {
  if (body.dataset.auth !== 'signed-in') {
    if (current) views[current].hide?.();
    current = null;
    showSection('signin');
    document.title = 'Sign in · Pincer Control';
    return;
  }
  const wanted = (window.location.hash.match(/^#\/(\w+)/) || [])[1];
  const name = views[wanted] ? wanted : 'chat';
  if (current && current !== name) views[current].hide?.();
  showSection(name);
  for (const link of document.querySelectorAll('nav a[data-view]')) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = `${TITLES[name]} · Pincer Control`;
  if (current !== name) {
    current = name;
    views[name].show?.();
    if (focus) $(`#view-${name} h1`)?.focus();
  }
}

function setPill(text, state, title = '') {
  pill.textContent = text;
  pill.dataset.state = state;
  pill.title = title;
}

gw.addEventListener('status', ({ detail }) => {
  body.dataset.conn = detail.state;
  clearInterval(countdown);
  retryNow.hidden = detail.state !== 'reconnecting';
  switch (detail.state) {
    case 'connecting':
      setPill('Connecting…', 'connecting');
      if (body.dataset.auth === 'signing-in') signIn.pending('');
      break;
    case 'connected':
      setPill('Connected', 'connected',
        `connection ${gw.hello?.server?.connId} to Pincer ${gw.hello?.server?.version}`);
      break;
    case 'reconnecting': {
      const reason = describe(detail.error);
      const tickDown = () => {
        const left = Math.max(0, detail.retryAt - Date.now());
        setPill(`Reconnecting in ${duration(Math.ceil(left / 1000) * 1000)}`, 'reconnecting', reason);
      };
      tickDown();
      countdown = setInterval(tickDown, 1000);
      if (body.dataset.auth === 'signing-in') {
        signIn.pending(`Cannot reach the gateway (${reason}); retrying in ${duration(detail.retryInMs)}.`);
      }
      break;
    }
    case 'refused':
      body.dataset.auth = 'signed-out';
      setPill('Signed out', 'idle');
      signIn.refused(detail.error);
      route();
      signIn.focus();
      break;
    default:
      setPill('Signed out', 'idle');
  }
});

gw.addEventListener('hello', ({ detail: { hello } }) => {
  const first = body.dataset.auth !== 'signed-in';
  body.dataset.auth = 'signed-in';
  body.dataset.connId = hello.server?.connId || '';
  if (first) signIn.reset();
  ctx.presence = hello.snapshot?.presence || null;
  ctx.setHealth(hello.snapshot?.health || null);
  for (const view of Object.values(views)) view.onConnected?.(hello);
  route();
});

gw.addEventListener('event', ({ detail: { frame } }) => {
  switch (frame.event) {
    case 'tick':
      ctx.refreshHealth();
      break;
    case 'health':
      ctx.setHealth(frame.payload);
      break;
    case 'presence':
      ctx.presence = frame.payload;
      break;
    case 'shutdown':
      toast(`The gateway is stopping (${frame.payload?.reason || 'no reason given'}); reconnecting when it is back.`, 'error');
      gw.reconnectSoon(frame.payload?.restartExpectedMs);
      break;
    default:
      break;
  }
  for (const view of Object.values(views)) view.onEvent?.(frame);
});

gw.addEventListener('gap', ({ detail }) => {
  // Events were missed (should not happen on one connection): reload what the views show.
  toast(`${detail.missed} events were missed; reloading.`, 'error');
  for (const view of Object.values(views)) view.onConnected?.(gw.hello);
});

retryNow.addEventListener('click', () => gw.retryNow());
window.addEventListener('online', () => gw.retryNow());

$('#sign-out').addEventListener('click', () => {
  forgetCredential();
  gw.stop();
  body.dataset.auth = 'signed-out';
  signIn.reset();
  route();
  signIn.focus();
  toast('Signed out.');
});

window.addEventListener('hashchange', () => route({ focus: true }));

const saved = savedCredential();
if (saved) {
  body.dataset.auth = 'signing-in';
  signIn.pending('');
  gw.start(saved);
}
route();
if (!saved) signIn.focus();
