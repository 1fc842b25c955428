// The socket.io link to Rasa's `socketio` channel (session_persistence on):
//   connect -> emit session_request {session_id} -> wait for session_confirm
//   -> emit user_uttered {message, session_id}; replies arrive as bot_uttered.
// socket.io-client reconnects with exponential back-off. Messages are only
// emitted while a session is confirmed, each at most once (never replayed).

export const RECONNECT_OPTIONS = Object.freeze({
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 15000,
  randomizationFactor: 0.5,
  timeout: 10000,
});

export function routeToken() {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Connection {
  /**
   * @param {object} opts
   * @param {Function} opts.io          socket.io-client's `io` (injectable for tests)
   * @param {string} opts.url           Rasa server URL
   * @param {string} [opts.path]        socket.io path
   * @param {Function} opts.getSessionId  returns the stored session id or null
   * @param {Function} opts.takeNext    returns the next queued {id, message} or null
   * @param {Function} opts.onSession   called with the confirmed session id
   * @param {Function} opts.onBotMessage  called with each bot_uttered payload
   * @param {Function} opts.onStatus    'connecting' | 'online' | 'offline'
   * @param {Function} [opts.onSent]    called with each item after it is emitted
   * @param {Function} [opts.onTurnEnd] called on bot_turn_end (the answer to one message is complete)
   */
  constructor(opts) {
    this.opts = opts;
    this.socket = null;
    this.confirmed = false;
    this.status = 'idle';
  }

  setStatus(status, detail) {
    this.status = status;
    this.opts.onStatus?.(status, detail);
  }

  start() {
    if (this.socket) return;
    const { io, url, path = '/socket.io' } = this.opts;
    this.setStatus('connecting');
    // `visitor`: a random token sent with every request of this connection, so a
    // load balancer can keep the connection on one server without cookies
    // (deploy/nginx.conf.template hashes on it); it identifies nothing.
    const options = { path, query: { visitor: routeToken() }, ...RECONNECT_OPTIONS };
    // With JWT authentication on, socket.io asks for `auth` before every
    // (re)connection: fetch a fresh token each time (it may have expired).
    if (this.opts.getToken) {
      options.auth = (cb) => {
        Promise.resolve()
          .then(() => this.opts.getToken())
          .then((token) => cb(token ? { token } : {}), () => cb({}));
      };
    }
    const socket = io(url, options);
    this.socket = socket;

    socket.on('connect', () => {
      this.confirmed = false;
      socket.emit('session_request', { session_id: this.opts.getSessionId() ?? null });
    });
    socket.on('session_confirm', (data) => {
      const id = typeof data === 'string' ? data : data?.session_id;
      if (!id) return;
      this.confirmed = true;
      this.opts.onSession(id);
      this.setStatus('online');
      this.flush();
    });
    socket.on('bot_uttered', (payload) => this.opts.onBotMessage(payload));
    // Ours (server/channels/socketio.py): the answer to one message is complete.
    socket.on('bot_turn_end', () => this.opts.onTurnEnd?.());
    socket.on('disconnect', (reason) => {
      this.confirmed = false;
      // Drop anything socket.io buffered while the link was going down: the
      // outbox already marked it sent, so it is never delivered twice.
      if (Array.isArray(socket.sendBuffer)) socket.sendBuffer.length = 0;
      this.setStatus(reason === 'io client disconnect' ? 'connecting' : 'offline', reason);
      // The server closed the session on purpose: socket.io does not retry then.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', (err) => this.setStatus('offline', err?.message));
    socket.io?.on?.('reconnect_attempt', (attempt) => this.setStatus('offline', `retry ${attempt}`));
  }

  get ready() {
    return Boolean(this.socket?.connected && this.confirmed);
  }

  /** Emits queued messages while the session is confirmed. */
  flush() {
    while (this.ready) {
      const item = this.opts.takeNext();
      if (!item) return;
      const sessionId = this.opts.getSessionId();
      this.socket.emit('user_uttered', { message: item.message, session_id: sessionId });
      this.opts.onSent?.(item);
    }
  }

  /** Leaves the current session and asks the server for a new one. */
  restart() {
    if (!this.socket) return;
    this.confirmed = false;
    this.socket.disconnect();
    this.socket.connect();
  }

  stop() {
    this.socket?.disconnect();
    this.socket = null;
    this.confirmed = false;
  }
}
