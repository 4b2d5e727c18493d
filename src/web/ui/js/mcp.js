// The MCP view: `mcp.list` (every configured MCP server: transport, state, tools, restarts,
// last error) and, for a chosen server, `mcp.tools` (the names the model calls). What servers
// say (names, descriptions, errors) goes in as text nodes only, like everything else.

import { $, h, fill, count, describe } from './dom.js';

export function createMcp(ctx) {
  const tbody = $('#mcp-table tbody');
  const summary = $('#mcp-summary');
  const toolsTitle = $('#mcp-tools-title');
  const toolsList = $('#mcp-tools');
  let visible = false;
  let timer = null;

  async function showTools(name) {
    try {
      const { tools } = await ctx.gw.request('mcp.tools', { name });
      toolsTitle.textContent = `Tools of ${name}`;
      if (!tools.length) {
        fill(toolsList, h('li', { class: 'muted' }, 'No tools (the server is not ready, or offers none).'));
        return;
      }
      fill(toolsList, tools.map((tool) => h('li', {},
        h('code', {}, tool.offeredAs), ' ', h('span', { class: 'muted' }, tool.description))));
    } catch (error) {
      ctx.toast(`Could not list the tools of ${name}: ${describe(error)}`, 'error');
    }
  }

  function row(server) {
    return h('tr', { dataset: { server: server.name } },
      h('th', { scope: 'row', class: 'mono' }, server.name),
      h('td', { class: 'hide-narrow' }, server.transport),
      h('td', {}, h('span', { class: `pill state-${server.state}` }, server.state)),
      h('td', { class: 'num' }, count(server.tools)),
      h('td', { class: 'num' }, count(server.restarts)),
      h('td', { class: 'hide-narrow' }, server.lastError || '–'),
      h('td', { class: 'actions' },
        h('button', {
          type: 'button', class: 'ghost small', 'aria-label': `Tools of ${server.name}`,
          onclick: () => showTools(server.name),
        }, 'Tools')));
  }

  async function refresh() {
    try {
      const { servers } = await ctx.gw.request('mcp.list');
      if (!visible) return;
      const ready = servers.filter((s) => s.state === 'ready').length;
      summary.textContent = `${servers.length} server${servers.length === 1 ? '' : 's'}, ${ready} ready.`;
      if (!servers.length) {
        fill(tbody, h('tr', {}, h('td', { colspan: 7, class: 'muted' },
          'No MCP servers: add them under mcp.servers in the config.')));
        return;
      }
      fill(tbody, servers.map(row));
    } catch (error) {
      if (visible && error.code !== 'DISCONNECTED') summary.textContent = `Could not list the MCP servers: ${describe(error)}`;
    }
  }

  $('#mcp-refresh').addEventListener('click', refresh);

  return {
    refresh,
    show() {
      visible = true;
      refresh();
      timer = setInterval(refresh, 5000);
    },
    hide() {
      visible = false;
      clearInterval(timer);
      timer = null;
    },
    onConnected() { if (visible) refresh(); },
  };
}
