// The gateway's WebSocket protocol (v3 or v4) from the browser: the connect.challenge / connect /
// hello-ok handshake, requests matched to their answers by id, events, and reconnection with
// backoff (1 s doubling to 30 s) when the socket drops. A refused sign-in (bad credential,
// lockout, protocol mismatch, an origin the gateway does not allow) is final: it is reported and
// not retried.

// The gateway speaks protocols 3 and 4 (OpenClaw's current one) and picks the highest both offer;
// this app reads the same frames in either.
const MIN_PROTOCOL = 3;
const MAX_PROTOCOL = 4;
const CLIENT_VERSION = '0.1.0';
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const HANDSHAKE_TIMEOUT_MS = 20000;
const REQUEST_TIMEOUT_MS = 30000;
/** Error codes that mean "this credential will not do": stop, do not reconnect. */
const FINAL_CODES = new Set(['UNAUTHORIZED', 'AUTH_RATE_LIMITED', 'PROTOCOL_MISMATCH', 'INVALID_REQUEST']);
/** Codes of a socket refused before the handshake because of this page's origin or host name. */
const ORIGIN_CODES = new Set(['ORIGIN_NOT_ALLOWED', 'HOST_NOT_ALLOWED']);

/** An error answer of the gateway (or of this client: DISCONNECTED, TIMEOUT). */
export class GatewayError extends Error {
  constructor({ code, message, retryAfterMs, retryable, details }) {
    super(message || code);
    this.code = code || 'ERROR';
    this.retryAfterMs = retryAfterMs;
    this.retryable = Boolean(retryable);
    this.details = details;
  }
}

/** A random id (crypto.randomUUID needs a secure context; this does not). */
export function randomId(prefix = '') {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One signed-in operator connection. Emits (as DOM events):
 * - `status` {state, attempt, retryInMs, error}: idle | connecting | connected | reconnecting | refused
 * - `hello` {hello}: the hello-ok payload, after each (re)connection
 * - `event` {frame}: every event frame after the handshake
 */
export class Gateway extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.state = 'idle';
    this.hello = null;
    this.credential = null;
    this.ws = null;
    this.pending = new Map();
    this.nextId = 1;
    this.attempt = 0;
    this.retryTimer = null;
    this.handshakeTimer = null;
    this.lastSeq = 0;
  }

  /** Signs in with `{kind: 'token' | 'password', secret}` and keeps the connection up. */
  start(credential) {
    this.stop();
    this.credential = credential;
    this.attempt = 0;
    this.open();
  }

  /** Signs out: closes the socket, forgets the credential, stops reconnecting. */
  stop() {
    this.credential = null;
    clearTimeout(this.retryTimer);
    this.closeSocket(1000, 'signed out');
    this.setState('idle');
  }

  /** Reconnects now instead of waiting for the backoff. */
  retryNow() {
    if (this.credential && this.state === 'reconnecting') {
      clearTimeout(this.retryTimer);
      this.open();
    }
  }

  /**
   * The gateway announced it is stopping: close now (a graceful stop need not wait for this
   * tab) and reconnect, after `restartExpectedMs` when it said, else with the usual backoff.
   */
  reconnectSoon(restartExpectedMs) {
    if (!this.ws || !this.credential) return;
    this.closeSocket(1000, 'the gateway is stopping');
    const error = new GatewayError({ code: 'UNAVAILABLE', message: 'the gateway is stopping' });
    this.scheduleReconnect(error, restartExpectedMs);
  }

  /** Sends a request; resolves with the answer's payload, rejects with a GatewayError. */
  request(method, params = {}, { timeoutMs = REQUEST_TIMEOUT_MS } = {}) {
    if (this.state !== 'connected' || !this.ws) {
      return Promise.reject(new GatewayError({ code: 'DISCONNECTED', message: 'not connected to the gateway' }));
    }
    return this.send(this.ws, method, params, timeoutMs);
  }

  send(ws, method, params, timeoutMs) {
    const id = `ui${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new GatewayError({ code: 'TIMEOUT', message: `${method}: no answer within ${timeoutMs / 1000} s` }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ type: 'req', id, method, params }));
    });
  }

  setState(state, extra = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', { detail: { state, attempt: this.attempt, ...extra } }));
  }

  /** Closes the socket without the close handler (browsers accept only 1000 and 3000-4999). */
  closeSocket(code, reason) {
    clearTimeout(this.handshakeTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try { ws.close(code, reason); } catch { /* already closed */ }
    }
    this.failPending('DISCONNECTED', 'the connection to the gateway closed');
  }

  failPending(code, message) {
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new GatewayError({ code, message }));
    }
    this.pending.clear();
  }

  open() {
    this.closeSocket(1000, 'reconnecting');
    this.setState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (error) {
      this.scheduleReconnect(new GatewayError({ code: 'UNAVAILABLE', message: String(error) }));
      return;
    }
    this.ws = ws;
    let refused = null;
    this.handshakeTimer = setTimeout(() => {
      this.closeSocket(4000, 'handshake timeout');
      this.scheduleReconnect(new GatewayError({ code: 'TIMEOUT', message: 'the gateway did not complete the handshake' }));
    }, HANDSHAKE_TIMEOUT_MS);
    ws.onmessage = (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (frame.type === 'res' && frame.id == null && frame.error && ORIGIN_CODES.has(frame.error.code)) {
        // The gateway does not take this page's origin: final, the message names the key to set.
        clearTimeout(this.handshakeTimer);
        refused = new GatewayError(frame.error);
      } else if (frame.type === 'res') {
        this.answer(frame);
      } else if (frame.type === 'event' && frame.event === 'connect.challenge') {
        this.handshake(ws).then((hello) => {
          clearTimeout(this.handshakeTimer);
          this.hello = hello;
          this.attempt = 0;
          this.lastSeq = 0;
          this.setState('connected');
          this.dispatchEvent(new CustomEvent('hello', { detail: { hello } }));
        }, (error) => {
          clearTimeout(this.handshakeTimer);
          if (FINAL_CODES.has(error.code)) refused = error;
        });
      } else if (frame.type === 'event') {
        if (typeof frame.seq === 'number') {
          if (this.lastSeq && frame.seq > this.lastSeq + 1) {
            this.dispatchEvent(new CustomEvent('gap', { detail: { missed: frame.seq - this.lastSeq - 1 } }));
          }
          this.lastSeq = frame.seq;
        }
        this.dispatchEvent(new CustomEvent('event', { detail: { frame } }));
      }
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearTimeout(this.handshakeTimer);
      this.failPending('DISCONNECTED', 'the connection to the gateway closed');
      if (refused) {
        this.credential = null;
        this.setState('refused', { error: refused });
        return;
      }
      const why = event.reason || (event.code === 1006 ? 'connection lost' : `closed (${event.code})`);
      this.scheduleReconnect(new GatewayError({ code: 'DISCONNECTED', message: why }));
    };
  }

  handshake(ws) {
    const { kind, secret } = this.credential;
    const auth = !secret ? {} : kind === 'password' ? { password: secret } : { token: secret };
    return this.send(ws, 'connect', {
      minProtocol: MIN_PROTOCOL,
      maxProtocol: MAX_PROTOCOL,
      client: { id: 'pincer-control-ui', version: CLIENT_VERSION, platform: navigator.platform || 'web', mode: 'ui' },
      role: 'operator',
      // What the views call (see the scope table in docs/architecture.md): read for the lists and
      // health, write for chat.send/abort, pairing for pairing.list/approve, admin for sessions.reset.
      scopes: ['operator.read', 'operator.write', 'operator.admin', 'operator.pairing'],
      auth,
    }, HANDSHAKE_TIMEOUT_MS);
  }

  answer(frame) {
    const entry = this.pending.get(frame.id);
    if (!entry) return;
    // `agent` answers twice on one id (accepted, then final); this client does not use it, so
    // the first answer settles the request.
    this.pending.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.ok) entry.resolve(frame.payload);
    else entry.reject(new GatewayError(frame.error || { code: 'ERROR', message: 'request failed' }));
  }

  scheduleReconnect(error, delayMs) {
    if (!this.credential) return;
    const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? Math.min(delayMs, BACKOFF_MAX_MS) : backoff;
    this.attempt += 1;
    this.setState('reconnecting', { retryInMs: delay, retryAt: Date.now() + delay, error });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}

/** The gateway's WebSocket URL for this page (same origin). */
export function socketUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
