// A stand-in for a socket.io-client Socket that records what the widget emits
// and lets a test play the server side (connect, session_confirm, drops).

export class FakeSocket {
  constructor(url, options) {
    this.url = url;
    this.options = options;
    this.handlers = new Map();
    this.managerHandlers = new Map();
    this.emitted = [];
    this.sendBuffer = [];
    this.connected = false;
    this.connectCalls = 0;
    this.io = { on: (event, fn) => this.managerHandlers.set(event, fn) };
  }

  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, []);
    this.handlers.get(event).push(fn);
    return this;
  }

  emit(event, data) {
    if (this.connected) this.emitted.push([event, data]);
    else this.sendBuffer.push([event, data]);
    return this;
  }

  fire(event, ...args) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }

  /** The transport is up: socket.io fires `connect`. */
  serverConnect() {
    this.connected = true;
    this.fire('connect');
  }

  /** Answers the last session_request the way Rasa does. */
  confirm(id) {
    const requests = this.emitted.filter(([e]) => e === 'session_request');
    const asked = requests.at(-1)?.[1]?.session_id;
    this.fire('session_confirm', id ?? asked ?? 'server-made-id');
  }

  drop(reason = 'transport close') {
    this.connected = false;
    this.fire('disconnect', reason);
  }

  disconnect() {
    this.connected = false;
    this.fire('disconnect', 'io client disconnect');
  }

  connect() {
    this.connectCalls += 1;
  }

  sent(event) {
    return this.emitted.filter(([e]) => e === event).map(([, d]) => d);
  }
}

export function fakeIo() {
  const sockets = [];
  const io = (url, options) => {
    const socket = new FakeSocket(url, options);
    sockets.push(socket);
    return socket;
  };
  io.sockets = sockets;
  return io;
}

export function memoryStorage() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
    map,
  };
}
