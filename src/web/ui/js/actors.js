// The actors view: the live supervision tree from `actors.list`, refreshed every 2 s while shown.
// Per actor: state, mailbox depth (now, capacity, peak), messages handled and the rate since the
// previous refresh, handler time, restarts, and its status line or last error. Rows with
// waiting messages, failing or restarting actors are highlighted, stopped ones (a finished run,
// a closed connection, listed for a minute) dimmed; this tab's own connection actor is marked.

import { $, h, fill, count, duration, describe } from './dom.js';

const REFRESH_MS = 2000;

/** Actors in tree order (parents first, siblings by path) with their depth. */
function treeOrder(actors) {
  const byId = new Map(actors.map((a) => [a.id, a]));
  const children = new Map();
  const roots = [];
  for (const actor of actors) {
    if (actor.parent !== null && byId.has(actor.parent)) {
      if (!children.has(actor.parent)) children.set(actor.parent, []);
      children.get(actor.parent).push(actor);
    } else {
      roots.push(actor);
    }
  }
  const byPath = (a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const out = [];
  const walk = (actor, depth) => {
    out.push({ actor, depth });
    for (const child of (children.get(actor.id) || []).sort(byPath)) walk(child, depth + 1);
  };
  for (const root of roots.sort(byPath)) walk(root, 0);
  return out;
}

function micros(us) {
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 100000 ? 0 : 1)} ms` : `${us} µs`;
}

export function createActors(ctx) {
  const tbody = $('#actors-table tbody');
  const summary = $('#actors-summary');
  const filter = $('#actors-filter');
  const pause = $('#actors-pause');
  let visible = false;
  let busy = false;
  let timer = null;
  let last = null;
  let lastRates = null;
  /** id → {handled, at}: the previous refresh, for the rates. */
  let previous = new Map();

  function row({ actor, depth }, rate) {
    const box = actor.mailbox || {};
    const mine = actor.path === `/gateway/clients/${ctx.connId()}`;
    const running = actor.state === 'running';
    const name = h('span', { class: 'tree', title: actor.path },
      depth ? h('span', { class: 'branch', 'aria-hidden': 'true' }, '└ ') : null,
      actor.path.split('/').pop() || '/');
    name.style.setProperty('--depth', String(depth));
    const notes = [];
    if (box.handling && box.handling.for_ms >= 1000) {
      notes.push(h('span', { class: 'warn-text' }, `handling ${box.handling.message} for ${duration(box.handling.for_ms)}`));
    }
    if (box.rejected_full) notes.push(h('span', { class: 'warn-text' }, `${count(box.rejected_full)} refused (mailbox full)`));
    if (box.dropped) notes.push(h('span', { class: 'warn-text' }, `${count(box.dropped)} dropped`));
    if (actor.last_error) notes.push(h('span', { class: 'error-text', title: actor.last_error }, actor.last_error));
    if (actor.status) notes.push(h('span', { class: 'muted', title: actor.status }, actor.status));
    // A stopped actor finished (a run, a closed connection); failing or restarting is trouble.
    const health = running ? '' : actor.state === 'stopped' ? 'gone' : 'bad';
    const classes = [health, box.queued > 0 ? 'warn' : '', mine ? 'mine' : ''].filter(Boolean).join(' ');
    return h('tr', {
      class: classes || null,
      dataset: {
        path: actor.path, state: actor.state, queued: box.queued ?? 0,
        peak: box.max_queued ?? 0, handled: box.handled ?? 0, rate: rate === null ? '' : rate.toFixed(2),
      },
    },
    h('th', { scope: 'row' }, name, mine ? h('span', { class: 'tag' }, 'this tab') : null),
    h('td', { class: 'kind hide-narrow' }, actor.kind),
    h('td', {}, h('span', { class: `state ${actor.state}`, title: actor.uptime_ms != null ? `up ${duration(actor.uptime_ms)}` : '' }, actor.state)),
    h('td', { class: 'num', title: box.capacity ? null : 'no limit (tasks have no bounded mailbox)' },
      h('strong', {}, count(box.queued)), ` / ${box.capacity ? count(box.capacity) : '∞'}`),
    h('td', { class: 'num hide-narrow' }, count(box.max_queued)),
    h('td', { class: 'num' }, count(box.handled)),
    h('td', { class: 'num' }, rate === null ? '–' : rate.toFixed(rate >= 10 ? 0 : 1)),
    h('td', { class: 'num handler hide-narrow' }, box.handler_time?.count
      ? `${micros(box.handler_time.mean_us)} / ${micros(box.handler_time.max_us)}` : '–'),
    h('td', { class: `num ${actor.restarts ? 'warn-text' : ''}` }, count(actor.restarts)),
    h('td', { class: 'notes' }, notes));
  }

  function render(snapshot) {
    last = snapshot;
    const at = snapshot.generatedAtMs || Date.now();
    const rates = new Map();
    const next = new Map();
    for (const actor of snapshot.actors) {
      const handled = actor.mailbox?.handled ?? 0;
      const before = previous.get(actor.id);
      const seconds = before ? (at - before.at) / 1000 : 0;
      rates.set(actor.id, before && seconds > 0 && handled >= before.handled
        ? (handled - before.handled) / seconds : null);
      next.set(actor.id, { handled, at });
    }
    previous = next;
    lastRates = rates;
    draw(rates);
  }

  function draw(rates) {
    if (!last) return;
    const wanted = filter.value.trim().toLowerCase();
    const ordered = treeOrder(last.actors);
    const shownRows = ordered.filter(({ actor }) => !wanted
      || actor.path.toLowerCase().includes(wanted) || actor.kind.toLowerCase().includes(wanted));
    fill(tbody, shownRows.map((entry) => row(entry, rates?.get(entry.actor.id) ?? null)));
    const stopped = last.actors.filter((a) => a.state === 'stopped').length;
    const failing = last.actors.filter((a) => a.state !== 'running' && a.state !== 'stopped').length;
    const queued = last.actors.reduce((n, a) => n + (a.mailbox?.queued || 0), 0);
    const handled = last.actors.reduce((n, a) => n + (a.mailbox?.handled || 0), 0);
    const total = rates ? [...rates.values()].reduce((n, r) => n + (r || 0), 0) : null;
    summary.textContent = [
      `${last.actors.length} actors`,
      `${failing} failing or restarting`,
      stopped ? `${stopped} stopped recently` : null,
      `${count(queued)} messages waiting`,
      `${count(handled)} handled${total === null ? '' : ` (${total.toFixed(1)} msg/s)`}`,
      `updated ${new Date(last.generatedAtMs || Date.now()).toLocaleTimeString()}`,
    ].filter(Boolean).join(' · ');
    summary.classList.toggle('bad-text', failing > 0);
  }

  async function refresh() {
    if (busy) return;
    clearTimeout(timer);
    timer = null;
    busy = true;
    if (!pause.checked && ctx.gw.state === 'connected') {
      try {
        render(await ctx.gw.request('actors.list'));
      } catch (error) {
        if (error.code !== 'DISCONNECTED') summary.textContent = `Could not read the actors: ${describe(error)}`;
      }
    }
    busy = false;
    if (visible) timer = setTimeout(refresh, REFRESH_MS);
  }

  filter.addEventListener('input', () => draw(lastRates));
  pause.addEventListener('change', () => { if (!pause.checked) refresh(); });

  return {
    show() { visible = true; refresh(); },
    hide() { visible = false; clearTimeout(timer); timer = null; },
    onConnected() { previous = new Map(); if (visible) refresh(); },
  };
}
