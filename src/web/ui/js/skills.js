// The skills view: `skills.status`, every skill folder in priority order (workspace, managed,
// extra) with its source, whether the model is offered it and, if not, why. Refreshes on the
// `skills.changed` event (the gateway reloads the list when the folders change). Text goes in as text
// nodes only (`h`): a skill's name and description come from files anyone with the workspace
// could have written.

import { $, h, fill, describe } from './dom.js';

export function createSkills(ctx) {
  const tbody = $('#skills-table tbody');
  const summary = $('#skills-summary');
  let visible = false;

  function status(skill) {
    if (skill.eligible) return h('span', { class: 'chip ok' }, 'offered');
    const label = skill.shadowed ? 'shadowed' : (skill.enabled ? 'not offered' : 'disabled');
    return h('span', {}, h('span', { class: 'chip bad' }, label), ' ',
      h('span', { class: 'muted' }, skill.reason || ''));
  }

  function row(skill) {
    return h('tr', { dataset: { skill: skill.name, source: skill.source } },
      h('th', { scope: 'row' },
        skill.emoji ? h('span', { 'aria-hidden': 'true' }, `${skill.emoji} `) : null,
        h('span', { class: 'mono' }, skill.name),
        skill.description ? h('div', { class: 'muted' }, skill.description) : null),
      h('td', {}, skill.source),
      h('td', {}, status(skill)),
      h('td', { class: 'mono hide-narrow' }, skill.path));
  }

  function render(answer) {
    const { skills = [], eligible = 0, sources = [] } = answer;
    summary.textContent = `${skills.length} skill${skills.length === 1 ? '' : 's'}, `
      + `${eligible} offered to the model (list version ${answer.version}).`;
    if (!skills.length) {
      fill(tbody, h('tr', {}, h('td', { colspan: 4, class: 'muted' },
        'No skills yet. Put a folder with a SKILL.md in one of: ',
        sources.map((s) => `${s.source} ${s.dir}`).join('; '),
        ', or run `pincer skills install`.')));
      return;
    }
    fill(tbody, skills.map(row));
  }

  async function refresh() {
    try {
      const answer = await ctx.gw.request('skills.status');
      if (visible) render(answer);
    } catch (error) {
      if (visible && error.code !== 'DISCONNECTED') summary.textContent = `Could not list the skills: ${describe(error)}`;
    }
  }

  $('#skills-refresh').addEventListener('click', refresh);

  return {
    refresh,
    show() { visible = true; refresh(); },
    hide() { visible = false; },
    onConnected() { if (visible) refresh(); },
    onEvent(frame) {
      if (frame.event === 'skills.changed' && visible) refresh();
    },
  };
}
