// The health view: readiness, uptime, channel links, active alerts, the system sample (CPU,
// memory, disk, network) and the gateway process, from the `health` method. It is refreshed on
// every `tick` and `health` event, and every 5 s while shown.

import { $, h, fill, bytes, percent, duration, ago, stamp, count } from './dom.js';

const REFRESH_MS = 5000;

function meter(label, fraction, detail) {
  const value = Math.max(0, Math.min(1, fraction ?? 0));
  return h('div', { class: 'meter-row' },
    h('div', { class: 'meter-label' }, h('span', {}, label), h('strong', {}, percent(fraction))),
    h('meter', { min: 0, max: 1, low: 0.7, high: 0.9, optimum: 0, value, 'aria-label': `${label} ${percent(fraction)}` }),
    detail ? h('div', { class: 'muted small' }, detail) : null);
}

function figure(label, value, title) {
  return h('div', { class: 'figure', title: title || null }, h('span', { class: 'muted' }, label), h('strong', {}, value));
}

function card(title, ...content) {
  return h('section', { class: 'card' }, h('h2', {}, title), content);
}

export function createHealth(ctx) {
  const cards = $('#health-cards');
  const updated = $('#health-updated');
  let visible = false;
  let timer = null;

  function render(health) {
    if (!health) {
      fill(cards, h('p', { class: 'muted' }, 'No figures yet.'));
      return;
    }
    const system = health.system;
    const channels = Object.entries(health.channels || {});
    const alerts = health.alerts || [];
    const clients = ctx.presence?.clients || [];
    fill(cards,
      card('Gateway',
        h('p', { class: `status-big ${health.ok ? 'ok' : 'bad'}`, dataset: { status: health.status } },
          health.ok ? 'Ready' : 'Not ready'),
        health.notReady?.length
          ? h('ul', { class: 'plain bad-text' }, health.notReady.map((why) => h('li', {}, why))) : null,
        h('div', { class: 'figures' },
          figure('Uptime', duration(health.uptimeMs)),
          figure('Actors', `${count(health.actors?.count)}`, 'actors in the supervision tree'),
          figure('Not running', count(health.actors?.notRunning)),
          figure('Operators', count(health.clients), 'WebSocket clients connected'))),
      card('Channels',
        channels.length
          ? h('ul', { class: 'plain links' }, channels.map(([name, link]) => h('li', { dataset: { channel: name } },
            h('span', { class: `chip ${link.healthy ? 'ok' : 'bad'}` }, link.healthy ? 'healthy' : 'unhealthy'),
            ' ', h('strong', {}, name), ' ', h('span', { class: 'muted' }, link.link))))
          : h('p', { class: 'muted' }, 'No channel is enabled.')),
      card('Alerts',
        alerts.length
          ? h('ul', { class: 'plain' }, alerts.map((alert) => h('li', { class: `alert ${alert.level}` },
            h('span', { class: `chip ${alert.level === 'critical' ? 'bad' : 'warn'}` }, alert.level), ' ', alert.message)))
          : h('p', { class: 'muted' }, 'No active alerts.')),
      card('System',
        system
          ? [
            meter('CPU', system.cpuUsage),
            meter('Memory', system.memoryUsage,
              `${bytes(system.memoryTotalBytes - system.memoryAvailableBytes)} of ${bytes(system.memoryTotalBytes)} used`),
            meter(`Disk ${system.diskMount || ''}`.trim(), system.diskUsage,
              `${bytes(system.diskAvailableBytes)} free of ${bytes(system.diskTotalBytes)}`),
            h('div', { class: 'figures' },
              figure('Network in', `${bytes(system.networkInBytesPerSecond)}/s`),
              figure('Network out', `${bytes(system.networkOutBytesPerSecond)}/s`)),
            h('p', { class: 'muted small', title: stamp(system.atMs) }, `Sampled ${ago(system.atMs)}.`),
          ]
          : h('p', { class: 'muted' }, 'No sample yet (the sampler takes one shortly after start).')),
      card('Gateway process',
        system
          ? h('div', { class: 'figures' },
            figure('CPU', percent(system.processCpuUsage), 'share of one core'),
            figure('Memory (RSS)', bytes(system.processRssBytes)))
          : h('p', { class: 'muted' }, 'No sample yet.'),
        h('h3', {}, 'Connected operators'),
        clients.length
          ? h('ul', { class: 'plain operators' }, clients.map((c) => h('li', {},
            h('span', {}, h('strong', { class: 'mono' }, c.connId), ' ',
              `${c.client?.id} ${c.client?.version}`,
              c.connId === ctx.connId() ? h('span', { class: 'tag' }, 'this tab') : null),
            h('span', { class: 'muted small' },
              `${c.client?.platform}, ${c.client?.mode}; connected ${ago(c.connectedAtMs)}`))))
          : h('p', { class: 'muted' }, 'Only this tab.')));
    updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  async function poll() {
    clearTimeout(timer);
    timer = null;
    await ctx.refreshHealth();
    clearTimeout(timer);
    if (visible) timer = setTimeout(poll, REFRESH_MS);
  }

  $('#health-refresh').addEventListener('click', poll);

  return {
    show() { visible = true; render(ctx.health); poll(); },
    hide() { visible = false; clearTimeout(timer); timer = null; },
    onHealth(health) { if (visible) render(health); },
    onEvent(frame) { if (frame.event === 'presence' && visible) render(ctx.health); },
  };
}
