// Small DOM and formatting helpers shared by the views. Text always goes in as text nodes
// (never as HTML), so nothing the gateway or a chat partner sends can inject markup.

/** `h('td', {class: 'num', dataset: {x: 1}}, 'text', child)`: an element. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces `el`'s children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** `1 h 2 min`, `3.2 s`, `120 ms`. */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${m % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** `12.3 MiB`. */
export function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let value = n;
  while (value >= 1024 && i < units.length - 1) { value /= 1024; i += 1; }
  return `${value.toFixed(i === 0 || value >= 100 ? 0 : 1)} ${units[i]}`;
}

/** A 0..1 fraction as `42 %`. */
export function percent(fraction) {
  if (fraction === null || fraction === undefined) return '–';
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`;
}

/** `12 s ago`, from Unix milliseconds. */
export function ago(ms, now = Date.now()) {
  if (!ms) return '–';
  const delta = now - ms;
  return delta < 1500 ? 'just now' : `${duration(delta)} ago`;
}

/** Local date and time, for `title` attributes. */
export function stamp(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

/** `1,234`. */
export function count(n) {
  return n === null || n === undefined ? '–' : Number(n).toLocaleString('en');
}

/** A message for a failed request, with the protocol's code. */
export function describe(error) {
  if (!error) return '';
  const code = error.code && error.code !== 'ERROR' ? `${error.code}: ` : '';
  return `${code}${error.message || error}`;
}
