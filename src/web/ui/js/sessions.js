// The sessions view: `sessions.list` (most recent first) with Open (in the chat) and Reset
// (`sessions.reset`, after a confirmation). Also keeps the chat's list of session keys.

import { $, h, fill, ago, stamp, count, describe } from './dom.js';
import { randomId } from './gateway.js';

export function createSessions(ctx) {
  const tbody = $('#sessions-table tbody');
  const summary = $('#sessions-summary');
  const keys = $('#session-keys');
  let visible = false;
  let pending = null;

  async function reset(key) {
    const ok = await ctx.confirm(`Reset ${key}?`,
      'The session starts over: the agent no longer sees its history. The transcript is kept on '
      + 'disk (renamed with a .reset suffix).', 'Reset session');
    if (!ok) return;
    try {
      await ctx.gw.request('sessions.reset', { key, idempotencyKey: randomId('ui-') });
      ctx.toast(`${key} was reset.`, 'ok');
    } catch (error) {
      ctx.toast(`Could not reset ${key}: ${describe(error)}`, 'error');
    }
    refresh();
  }

  function row(session) {
    const open = h('a', {
      href: '#/chat',
      onclick: (event) => { event.preventDefault(); ctx.views.chat.open(session.key); ctx.navigate('chat'); },
    }, session.key);
    return h('tr', { dataset: { key: session.key } },
      h('th', { scope: 'row', class: 'mono' }, open),
      h('td', { class: 'num' }, count(session.messages)),
      h('td', { class: 'num hide-narrow' }, `${count(session.inputTokens)} / ${count(session.outputTokens)}`),
      h('td', { class: 'mono hide-narrow' }, session.model || '–'),
      h('td', { title: stamp(session.updatedMs) }, ago(session.updatedMs)),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button', class: 'danger small', 'aria-label': `Reset ${session.key}`,
          onclick: () => reset(session.key),
        }, 'Reset…')));
  }

  function render(sessions) {
    const total = sessions.reduce((sum, s) => sum + (s.messages || 0), 0);
    summary.textContent = `${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${count(total)} messages.`;
    if (!sessions.length) {
      fill(tbody, h('tr', {}, h('td', { colspan: 6, class: 'muted' },
        'No sessions yet: a session appears with its first message.')));
      return;
    }
    fill(tbody, sessions.map(row));
  }

  async function refresh() {
    try {
      const { sessions } = await ctx.gw.request('sessions.list');
      const known = new Set(sessions.map((s) => s.key));
      known.add('agent:main:main');
      fill(keys, [...known].map((key) => h('option', { value: key })));
      if (visible) render(sessions);
    } catch (error) {
      if (visible && error.code !== 'DISCONNECTED') summary.textContent = `Could not list the sessions: ${describe(error)}`;
    }
  }

  $('#sessions-refresh').addEventListener('click', refresh);

  return {
    refresh,
    show() { visible = true; refresh(); },
    hide() { visible = false; },
    onConnected() { refresh(); },
    onEvent(frame) {
      // A finished turn changes the counts: refresh, at most twice a second.
      if (frame.event === 'chat' && frame.payload?.state !== 'delta' && !pending) {
        pending = setTimeout(() => { pending = null; refresh(); }, 500);
      }
    },
  };
}
