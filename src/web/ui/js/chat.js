// The chat view: the session's history (`chat.history`), sending (`chat.send` with an
// idempotency key), the answer streaming in from `chat` events (`delta`, then `final` or
// `error`), tool calls from `agent` events, and stopping a turn (`chat.abort`).

import { $, h, fill, describe, stamp } from './dom.js';
import { randomId } from './gateway.js';

const DEFAULT_SESSION = 'agent:main:main';
const SESSION_STORE = 'pincer.chatSession';

export function createChat(ctx) {
  const log = $('#chat-log');
  const form = $('#chat-form');
  const input = $('#chat-input');
  const abort = $('#chat-abort');
  const sessionInput = $('#chat-session');
  let session = sessionStorage.getItem(SESSION_STORE) || DEFAULT_SESSION;
  /** runId → {item, body, text, deltas}, for the runs shown in the log. */
  const runs = new Map();
  const running = new Set();
  let loadedFor = null;
  let visible = false;
  let dirty = new Set();

  sessionInput.value = session;

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  const scrollDown = (force) => { if (force || nearBottom()) log.scrollTop = log.scrollHeight; };

  function placeholder(text) {
    fill(log, h('li', { class: 'empty muted' }, text));
  }

  function bubble(role, text, meta) {
    log.querySelector('.empty')?.remove();
    const stick = nearBottom();
    const labels = { user: 'You', assistant: 'Agent', error: 'Error', tool: 'Tool' };
    const body = h('div', { class: 'text' }, text);
    const item = h('li', { class: `msg ${role}`, dataset: { role } },
      h('div', { class: 'who' }, labels[role] || role, meta ? h('span', { class: 'meta' }, meta) : null),
      body);
    log.append(item);
    scrollDown(stick);
    return { item, body };
  }

  function updateButtons() {
    abort.disabled = running.size === 0;
  }

  function startRun(runId) {
    if (runs.has(runId)) return runs.get(runId);
    const { item, body } = bubble('assistant', '');
    item.dataset.runId = runId;
    item.dataset.state = 'thinking';
    item.dataset.deltas = '0';
    item.setAttribute('aria-busy', 'true');
    const run = { item, body, text: '', deltas: 0 };
    runs.set(runId, run);
    running.add(runId);
    updateButtons();
    return run;
  }

  function endRun(runId) {
    running.delete(runId);
    runs.get(runId)?.item.removeAttribute('aria-busy');
    updateButtons();
  }

  // Deltas can come by the thousand: paint at most once per frame.
  function paint() {
    const stick = nearBottom();
    for (const run of dirty) run.body.textContent = run.text;
    dirty = new Set();
    scrollDown(stick);
  }

  function onChat(payload) {
    if (payload.sessionKey !== session || loadedFor !== session) return;
    const run = startRun(payload.runId);
    if (payload.state === 'delta') {
      run.deltas += 1;
      run.text = typeof payload.message?.content === 'string'
        ? payload.message.content
        : run.text + (payload.deltaText || '');
      run.item.dataset.state = 'streaming';
      run.item.dataset.deltas = String(run.deltas);
      if (dirty.size === 0) requestAnimationFrame(paint);
      dirty.add(run);
    } else if (payload.state === 'final') {
      run.text = payload.message?.content ?? run.text;
      run.body.textContent = run.text;
      run.item.dataset.state = 'final';
      const usage = payload.usage;
      if (usage) {
        run.item.querySelector('.who').append(h('span', { class: 'meta' },
          `${usage.inputTokens ?? 0} in · ${usage.outputTokens ?? 0} out tokens`));
      }
      dirty.delete(run);
      endRun(payload.runId);
      scrollDown(false);
    } else if (payload.state === 'error') {
      run.item.dataset.state = 'error';
      run.item.append(h('div', { class: 'error-note', role: 'alert' }, payload.errorMessage || 'the turn failed'));
      endRun(payload.runId);
    }
  }

  function onAgent(payload) {
    const data = payload.data || {};
    if (payload.stream === 'lifecycle' && data.phase === 'start' && data.sessionKey === session && loadedFor === session) {
      startRun(payload.runId);
    } else if (payload.stream === 'tool' && runs.has(payload.runId)) {
      runs.get(payload.runId).item.insertBefore(
        h('div', { class: 'tool-note' }, `used tool ${data.name}`), runs.get(payload.runId).body);
    }
  }

  function renderHistory(message) {
    switch (message.role) {
      case 'user':
        bubble('user', message.content, null).item.title = stamp(message.ts);
        break;
      case 'assistant': {
        const tools = message.toolCalls || [];
        if (message.content || !tools.length) {
          bubble('assistant', message.content || '', null).item.dataset.state = 'final';
        }
        if (tools.length) {
          log.append(h('li', { class: 'tool-note' }, `called ${tools.join(', ')}`));
        }
        break;
      }
      case 'tool':
        log.append(h('li', { class: 'msg tool' }, h('details', {},
          h('summary', {}, `Tool result: ${message.name}${message.isError ? ' (error)' : ''}`),
          h('pre', {}, message.content))));
        break;
      default:
        bubble('error', message.content, null);
    }
  }

  async function loadHistory() {
    const key = session;
    try {
      const { messages } = await ctx.gw.request('chat.history', { sessionKey: key, limit: 200 });
      if (key !== session) return;
      runs.clear();
      running.clear();
      updateButtons();
      log.replaceChildren();
      if (!messages.length) placeholder(`No messages in ${key} yet. Say hello.`);
      for (const message of messages) renderHistory(message);
      loadedFor = key;
      log.dataset.session = key;
      scrollDown(true);
    } catch (error) {
      if (error.code !== 'DISCONNECTED') placeholder(`Could not load the history: ${describe(error)}`);
    }
  }

  /** Switches to `key` and loads its history. */
  function open(key) {
    session = key.trim() || DEFAULT_SESSION;
    sessionInput.value = session;
    sessionStorage.setItem(SESSION_STORE, session);
    loadedFor = null;
    placeholder('Loading…');
    loadHistory();
  }

  $('#chat-session-form').addEventListener('submit', (event) => {
    event.preventDefault();
    open(sessionInput.value);
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (ctx.gw.state !== 'connected') {
      ctx.toast('Not connected to the gateway; the message was not sent.', 'error');
      return;
    }
    input.value = '';
    const key = session;
    bubble('user', text, null);
    scrollDown(true);
    try {
      const answer = await ctx.gw.request('chat.send', {
        sessionKey: key, message: text, idempotencyKey: randomId('ui-'),
      });
      if (answer.sessionKey === session && loadedFor === session) startRun(answer.runId);
    } catch (error) {
      bubble('error', `Not sent: ${describe(error)}`, null);
      if (!input.value) input.value = text;
    }
  });

  abort.addEventListener('click', async () => {
    try {
      const { aborted } = await ctx.gw.request('chat.abort', { sessionKey: session });
      if (!aborted) ctx.toast('Nothing was running in this session.');
    } catch (error) {
      ctx.toast(`Could not stop the turn: ${describe(error)}`, 'error');
    }
  });

  return {
    open,
    show() {
      visible = true;
      if (loadedFor !== session) open(session);
    },
    hide() {
      visible = false;
    },
    onConnected() {
      // Events may have been missed while disconnected: reload what is shown.
      loadedFor = null;
      if (visible) loadHistory();
    },
    onEvent(frame) {
      if (frame.event === 'chat') onChat(frame.payload || {});
      else if (frame.event === 'agent') onAgent(frame.payload || {});
    },
  };
}
