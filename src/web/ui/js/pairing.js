// The pairing view: per channel, the strangers waiting with a code (`pairing.list`) with an
// Approve button each (`pairing.approve`, optionally telling the sender), and who is approved.
// Refreshes every 5 s while shown; the nav badge counts the waiting requests.

import { $, h, fill, ago, stamp, duration, describe } from './dom.js';
import { randomId } from './gateway.js';

const CHANNELS = [['whatsapp', 'WhatsApp'], ['telegram', 'Telegram']];
const CODE_TTL_MS = 60 * 60 * 1000;
const REFRESH_MS = 5000;

export function createPairing(ctx) {
  const container = $('#pairing-channels');
  const notify = $('#pairing-notify');
  const badge = $('#pairing-badge');
  let visible = false;
  let busy = false;
  let again = false;
  let timer = null;
  let shown = '';

  async function approve(channel, label, request, button) {
    button.disabled = true;
    button.textContent = 'Approving…';
    try {
      const answer = await ctx.gw.request('pairing.approve', {
        channel, code: request.code, notify: notify.checked, idempotencyKey: randomId('ui-'),
      });
      let told = '';
      if (answer.notified === true) told = ' and told them';
      else if (answer.notifyError) told = ` (could not tell them: ${answer.notifyError})`;
      ctx.toast(`Approved ${request.id} on ${label}${told}.`, answer.notifyError ? 'error' : 'ok');
    } catch (error) {
      ctx.toast(`Could not approve ${request.code}: ${describe(error)}`, 'error');
    }
    refresh();
  }

  function requestRow(channel, label, request, now) {
    const left = request.createdAtMs + CODE_TTL_MS - now;
    const button = h('button', {
      type: 'button', class: 'primary small',
      'aria-label': `Approve ${request.id} on ${label} (code ${request.code})`,
    }, 'Approve');
    button.addEventListener('click', () => approve(channel, label, request, button));
    return h('tr', { dataset: { code: request.code, sender: request.id } },
      h('td', { class: 'mono code' }, request.code),
      h('th', { scope: 'row' }, h('span', { class: 'mono' }, request.id),
        request.name ? h('span', { class: 'muted' }, ` ${request.name}`) : null),
      h('td', { class: 'hide-narrow', title: stamp(request.createdAtMs) }, ago(request.lastSeenAtMs || request.createdAtMs, now)),
      h('td', { class: 'hide-narrow' }, left > 0 ? duration(left) : 'expired'),
      h('td', { class: 'actions' }, button));
  }

  function card([channel, label], result, now) {
    const link = ctx.health?.channels?.[channel];
    const chip = link
      ? h('span', { class: `chip ${link.healthy ? 'ok' : 'bad'}` }, link.link)
      : h('span', { class: 'chip' }, 'not enabled');
    const parts = [h('h2', { id: `pairing-${channel}` }, label, ' ', chip)];
    if (result.error) {
      parts.push(h('p', { class: 'error' }, describe(result.error)));
    } else {
      const { requests = [], approved = [] } = result.answer;
      if (requests.length) {
        parts.push(h('div', { class: 'table-wrap' }, h('table', { class: 'pairing' },
          h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'Sender'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Last message'),
            h('th', { scope: 'col', class: 'hide-narrow' }, 'Expires in'),
            h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
          h('tbody', {}, requests.map((r) => requestRow(channel, label, r, now))))));
      } else {
        parts.push(h('p', { class: 'muted' }, 'No one is waiting.'));
      }
      parts.push(h('details', { class: 'approved' },
        h('summary', {}, `Approved senders (${approved.length})`),
        approved.length
          ? h('ul', { class: 'plain' }, approved.map((id) => h('li', { class: 'mono', dataset: { approved: id } }, id)))
          : h('p', { class: 'muted' }, 'None yet (senders in allowFrom are not listed here).')));
    }
    return h('section', { class: 'card', 'aria-labelledby': `pairing-${channel}`, dataset: { channel } }, parts);
  }

  async function refresh() {
    if (busy) { again = true; return; }
    clearTimeout(timer);
    timer = null;
    if (ctx.gw.state === 'connected') {
      busy = true;
      const results = await Promise.all(CHANNELS.map(([channel]) =>
        ctx.gw.request('pairing.list', { channel }).then((answer) => ({ answer }), (error) => ({ error }))));
      busy = false;
      if (again) { again = false; refresh(); return; }
      const waiting = results.reduce((n, r) => n + (r.answer?.requests?.length || 0), 0);
      badge.hidden = waiting === 0;
      badge.textContent = String(waiting);
      badge.title = `${waiting} waiting`;
      // Redraw only when something changed; keep open details and the focused button.
      const fingerprint = JSON.stringify([results, ctx.health?.channels]);
      if (visible && fingerprint !== shown) {
        shown = fingerprint;
        const focused = container.contains(document.activeElement)
          ? document.activeElement.getAttribute('aria-label') || '' : null;
        const open = new Set([...container.querySelectorAll('details[open]')]
          .map((d) => d.closest('[data-channel]').dataset.channel));
        fill(container, CHANNELS.map((c, i) => card(c, results[i], Date.now())));
        for (const details of container.querySelectorAll('details')) {
          if (open.has(details.closest('[data-channel]').dataset.channel)) details.open = true;
        }
        if (focused !== null) {
          const same = [...container.querySelectorAll('button')].find((b) => b.getAttribute('aria-label') === focused);
          (same || $('#pairing-title')).focus();
        }
      }
    }
    if (visible) timer = setTimeout(refresh, REFRESH_MS);
  }

  $('#pairing-refresh').addEventListener('click', () => { shown = ''; refresh(); });

  return {
    show() { visible = true; shown = ''; refresh(); },
    hide() { visible = false; clearTimeout(timer); },
    onConnected() { refresh(); },
    onEvent(frame) {
      if (frame.event === 'tick' && !visible) refresh();
    },
  };
}
