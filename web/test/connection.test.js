import { beforeEach, describe, expect, it } from 'vitest';
import { Manager } from 'socket.io-client';
import { Connection, RECONNECT_OPTIONS } from '../src/connection.js';
import { createStore, storageKey } from '../src/store.js';
import { addUserMessage, takeNextOutgoing } from '../src/transcript.js';
import { fakeIo, memoryStorage } from './fakes.js';

let store;
let io;
let statuses;
let bot;
let conn;

function connect() {
  conn.start();
  return io.sockets.at(-1);
}

beforeEach(() => {
  store = createStore(memoryStorage(), storageKey('http://rasa:5005'));
  io = fakeIo();
  statuses = [];
  bot = [];
  conn = new Connection({
    io,
    url: 'http://rasa:5005',
    path: '/socket.io',
    getSessionId: () => store.state.sessionId,
    takeNext: () => takeNextOutgoing(store),
    onSession: (id) => store.update((s) => (s.sessionId = id)),
    onBotMessage: (p) => bot.push(p),
    onStatus: (s) => statuses.push(s),
  });
});

describe('Connection', () => {
  it('asks socket.io for reconnection with exponential back-off', () => {
    const socket = connect();
    expect(socket.url).toBe('http://rasa:5005');
    expect(socket.options).toMatchObject({
      path: '/socket.io', reconnection: true, reconnectionDelay: 1000, reconnectionDelayMax: 15000,
    });
    // A random routing token for the load balancer's stickiness, new per connection.
    expect(socket.options.query.visitor).toMatch(/^[0-9a-f]{16}$/);
    // The real socket.io Manager with these options backs off 1s, 2s, 4s ... capped at 15s.
    const manager = new Manager('http://127.0.0.1:9', { ...RECONNECT_OPTIONS, randomizationFactor: 0, autoConnect: false });
    const delays = Array.from({ length: 6 }, () => manager.backoff.duration());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it('sends no auth without a token source, and a fresh token on every connection with one', async () => {
    expect(connect().options.auth).toBeUndefined();
    let n = 0;
    const conn = new Connection({
      io, url: 'http://rasa:5005', path: '/socket.io', getToken: async () => `jwt-${++n}`,
      getSessionId: () => null, takeNext: () => null, onSession: () => {}, onBotMessage: () => {},
    });
    conn.start();
    const { auth } = io.sockets.at(-1).options;
    expect(await new Promise((resolve) => auth(resolve))).toEqual({ token: 'jwt-1' });
    expect(await new Promise((resolve) => auth(resolve))).toEqual({ token: 'jwt-2' });
  });

  it('connects without a token when the token URL fails', async () => {
    const conn = new Connection({
      io, url: 'http://rasa:5005', getToken: async () => { throw new Error('offline'); },
      getSessionId: () => null, takeNext: () => null, onSession: () => {}, onBotMessage: () => {},
    });
    conn.start();
    const { auth } = io.sockets.at(-1).options;
    expect(await new Promise((resolve) => auth(resolve))).toEqual({});
  });

  it('requests a session with the stored id and only sends after session_confirm', () => {
    store.update((s) => (s.sessionId = 'stored-id'));
    const socket = connect();
    socket.serverConnect();
    expect(socket.sent('session_request')).toEqual([{ session_id: 'stored-id' }]);

    addUserMessage(store, 'hello');
    conn.flush();
    expect(socket.sent('user_uttered')).toEqual([]);

    socket.confirm();
    expect(socket.sent('user_uttered')).toEqual([{ message: 'hello', session_id: 'stored-id' }]);
    expect(statuses.at(-1)).toBe('online');
  });

  it('asks the server for a new id when there is none and stores the confirmed id', () => {
    const socket = connect();
    socket.serverConnect();
    expect(socket.sent('session_request')).toEqual([{ session_id: null }]);
    socket.confirm('fresh-id');
    expect(store.state.sessionId).toBe('fresh-id');
  });

  it('passes bot_turn_end on', () => {
    let ends = 0;
    const conn = new Connection({
      io, url: 'http://rasa:5005',
      getSessionId: () => null, takeNext: () => null, onSession: () => {}, onBotMessage: () => {},
      onTurnEnd: () => (ends += 1),
    });
    conn.start();
    io.sockets.at(-1).fire('bot_turn_end', {});
    expect(ends).toBe(1);
  });

  it('passes bot_uttered payloads on', () => {
    const socket = connect();
    socket.fire('bot_uttered', { text: 'Hi' });
    expect(bot).toEqual([{ text: 'Hi' }]);
  });

  it('goes offline on a drop, queues, and after reconnecting sends each message once', () => {
    const socket = connect();
    socket.serverConnect();
    socket.confirm('s1');
    addUserMessage(store, 'before the drop');
    conn.flush();

    socket.drop();
    expect(statuses.at(-1)).toBe('offline');
    addUserMessage(store, 'while offline 1');
    addUserMessage(store, 'while offline 2');
    conn.flush();
    expect(socket.sendBuffer).toEqual([]);
    expect(store.state.entries.filter((e) => e.pending)).toHaveLength(2);

    socket.serverConnect();
    expect(socket.sent('session_request').at(-1)).toEqual({ session_id: 's1' });
    expect(socket.sent('user_uttered')).toHaveLength(1);
    socket.confirm();
    conn.flush();
    socket.confirm(); // a duplicate confirm must not resend anything
    expect(socket.sent('user_uttered').map((d) => d.message)).toEqual([
      'before the drop', 'while offline 1', 'while offline 2',
    ]);
    expect(socket.sent('user_uttered').every((d) => d.session_id === 's1')).toBe(true);
    expect(store.state.entries.filter((e) => e.pending)).toHaveLength(0);
  });

  it('drops whatever socket.io buffered while going down, so nothing is replayed twice', () => {
    const socket = connect();
    socket.serverConnect();
    socket.confirm('s1');
    socket.sendBuffer.push(['user_uttered', { message: 'half-sent' }]);
    socket.drop();
    expect(socket.sendBuffer).toEqual([]);
  });

  it('reconnects by itself when the server ends the session', () => {
    const socket = connect();
    socket.serverConnect();
    socket.drop('io server disconnect');
    expect(socket.connectCalls).toBe(1);
    socket.drop('transport close');
    expect(socket.connectCalls).toBe(1); // socket.io's own back-off handles that one
  });

  it('restart leaves the session and asks for a new one', () => {
    const socket = connect();
    socket.serverConnect();
    socket.confirm('old');
    store.reset();
    conn.restart();
    expect(socket.connectCalls).toBe(1);
    socket.serverConnect();
    expect(socket.sent('session_request').at(-1)).toEqual({ session_id: null });
    expect(statuses).not.toContain('offline');
  });

  it('start is idempotent', () => {
    connect();
    conn.start();
    expect(io.sockets).toHaveLength(1);
  });
});
