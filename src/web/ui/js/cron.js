// The cron view: every scheduled job (`cron.list`: config, runtime and the heartbeat) with its
// schedule, session, target, next firing and last status, a Run now button (`cron.run`) and,
// for jobs added at run time, Remove (`cron.remove`). Refreshes every 5 s while shown and on
// the control plane's `cron` events.

import { $, h, fill, ago, stamp, describe } from './dom.js';

const REFRESH_MS = 5000;

function scheduleText(schedule) {
  if (schedule.kind === 'cron') return `cron ${schedule.expr}${schedule.tz ? ` (${schedule.tz})` : ''}`;
  if (schedule.kind === 'every') return `every ${schedule.every}`;
  if (schedule.kind === 'at') return `once at ${typeof schedule.at === 'number' ? stamp(schedule.at) : schedule.at}`;
  return schedule.kind;
}

function until(ms, now) {
  if (ms === null || ms === undefined) return '-';
  const left = ms - now;
  if (left <= 0) return 'due';
  if (left < 60_000) return `in ${Math.ceil(left / 1000)} s`;
  if (left < 3_600_000) return `in ${Math.round(left / 60_000)} min`;
  return stamp(ms);
}

export function createCron(ctx) {
  const container = $('#cron-jobs');
  const summary = $('#cron-summary');
  let visible = false;
  let timer = null;
  let busy = false;

  async function act(method, view, button, verb) {
    button.disabled = true;
    try {
      await ctx.gw.request(method, { id: view.job.id });
      ctx.toast(`${verb} ${view.job.id}.`, 'ok');
    } catch (error) {
      ctx.toast(`Could not ${verb.toLowerCase()} ${view.job.id}: ${describe(error)}`, 'error');
    }
    refresh();
  }

  function row(view, now) {
    const run = h('button', { type: 'button', class: 'small', 'aria-label': `Run ${view.job.id} now` }, 'Run now');
    run.addEventListener('click', () => act('cron.run', view, run, 'Ran'));
    let remove = null;
    if (view.origin === 'runtime') {
      remove = h('button', { type: 'button', class: 'ghost small', 'aria-label': `Remove ${view.job.id}` }, 'Remove');
      remove.addEventListener('click', () => {
        if (window.confirm(`Remove the cron job ${view.job.id}?`)) act('cron.remove', view, remove, 'Removed');
      });
    }
    const target = view.job.deliver ? `${view.job.deliver.channel}:${view.job.deliver.to}` : 'session only';
    const status = view.lastStatus
      ? h('span', { class: `chip ${['failed'].includes(view.lastStatus) ? 'bad' : 'ok'}`, title: view.lastError || '' }, view.lastStatus)
      : h('span', { class: 'muted' }, 'never');
    return h('tr', { dataset: { job: view.job.id } },
      h('th', { scope: 'row' }, h('span', { class: 'mono' }, view.job.id),
        view.job.name ? h('span', { class: 'muted' }, ` ${view.job.name}`) : null,
        view.job.enabled ? null : h('span', { class: 'chip' }, 'disabled')),
      h('td', {}, scheduleText(view.job.schedule)),
      h('td', { class: 'hide-narrow mono' }, view.sessionKey),
      h('td', { class: 'hide-narrow' }, target),
      h('td', { title: view.nextRunAtMs ? stamp(view.nextRunAtMs) : '' }, until(view.nextRunAtMs, now)),
      h('td', {}, status, view.lastRunAtMs ? h('span', { class: 'muted' }, ` ${ago(view.lastRunAtMs, now)}`) : null),
      h('td', { class: 'muted' }, view.origin),
      h('td', { class: 'actions' }, run, remove));
  }

  async function refresh() {
    if (busy) return;
    clearTimeout(timer);
    timer = null;
    if (ctx.gw.state === 'connected' && visible) {
      busy = true;
      try {
        const [list, status] = await Promise.all([ctx.gw.request('cron.list'), ctx.gw.request('cron.status')]);
        const now = Date.now();
        fill(summary, `${status.jobs} jobs, ${status.running} running`,
          status.enabled ? '' : ' — cron.enabled is false: nothing fires',
          status.storeError ? ` — ${status.storeError}` : '');
        fill(container, list.jobs.length
          ? h('div', { class: 'table-wrap' }, h('table', { class: 'cron' },
            h('thead', {}, h('tr', {},
              h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'Schedule'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Session'),
              h('th', { scope: 'col', class: 'hide-narrow' }, 'Delivers to'),
              h('th', { scope: 'col' }, 'Next'), h('th', { scope: 'col' }, 'Last'),
              h('th', { scope: 'col' }, 'From'),
              h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
            h('tbody', {}, list.jobs.map((view) => row(view, now)))))
          : h('p', { class: 'muted' }, 'No cron jobs. Add one with pincer cron add, in cron.jobs, or ask the agent.'));
      } catch (error) {
        fill(container, h('p', { class: 'error' }, describe(error)));
      }
      busy = false;
    }
    if (visible) timer = setTimeout(refresh, REFRESH_MS);
  }

  $('#cron-refresh').addEventListener('click', () => refresh());

  return {
    show() { visible = true; refresh(); },
    hide() { visible = false; clearTimeout(timer); },
    onConnected() { refresh(); },
    onEvent(frame) {
      if (frame.event === 'cron' && visible) refresh();
    },
  };
}
