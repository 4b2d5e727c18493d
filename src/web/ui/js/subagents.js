// The sub-agents view: `subagents.list` (every session's children, newest first): who spawned
// each, its label, status, task and result. Refreshed when shown, on demand, and while any runs.

import { $, h, fill, ago, stamp, describe } from './dom.js';

export function createSubagents(ctx) {
  const tbody = $('#subagents-table tbody');
  const summary = $('#subagents-summary');
  let visible = false;
  let timer = null;

  function row(child) {
    const cut = (text, n) => (text && text.length > n ? `${text.slice(0, n)}…` : text || '–');
    return h('tr', { dataset: { run: child.runId } },
      h('th', { scope: 'row', class: 'mono' }, child.childSessionKey),
      h('td', { class: 'mono hide-narrow' }, child.parentSessionKey),
      h('td', {}, child.label || '–'),
      h('td', { class: `status ${child.status}` }, child.status),
      h('td', { title: child.task }, cut(child.task, 80)),
      h('td', { title: child.result || '' }, cut(child.result, 120)),
      h('td', { title: stamp(child.createdMs) }, ago(child.createdMs)));
  }

  async function refresh() {
    clearTimeout(timer);
    if (!visible) return;
    try {
      const list = await ctx.gw.request('subagents.list');
      const children = [...list.subagents].reverse();
      summary.textContent = `${list.count} sub-agent${list.count === 1 ? '' : 's'}, ${list.running} running.`;
      fill(tbody, children.length ? children.map(row)
        : h('tr', {}, h('td', { colspan: 7, class: 'muted' },
          'No sub-agents yet: the model starts one with the sessions_spawn tool.')));
      if (list.running > 0) timer = setTimeout(refresh, 2000);
    } catch (error) {
      if (error.code !== 'DISCONNECTED') summary.textContent = `Could not list the sub-agents: ${describe(error)}`;
    }
  }

  $('#subagents-refresh').addEventListener('click', refresh);

  return {
    refresh,
    show() { visible = true; refresh(); },
    hide() { visible = false; clearTimeout(timer); },
    onConnected() { refresh(); },
  };
}
