import { describe, expect, it } from 'vitest';
import { MAX_ENTRIES, createStore, safeStorage, storageKey } from '../src/store.js';
import {
  activeQuickReplies, addBotPayload, addIntro, addUserMessage, takeNextOutgoing,
} from '../src/transcript.js';
import { memoryStorage } from './fakes.js';

const KEY = storageKey('http://localhost:5005/');
const CONTENT = { greeting: 'Hi there', disclaimer: 'Not medical advice. In an emergency call 999.' };

describe('session storage', () => {
  it('keeps session id and transcript across a reload (a new store on the same storage)', () => {
    const storage = memoryStorage();
    const first = createStore(storage, KEY);
    addIntro(first, CONTENT);
    first.update((s) => (s.sessionId = 'abc123'));
    addUserMessage(first, 'hello');
    addBotPayload(first, { text: 'Hi! How can I help?' });

    const reloaded = createStore(storage, KEY);
    expect(reloaded.state.sessionId).toBe('abc123');
    expect(reloaded.state.entries.map((e) => e.text)).toEqual([
      'Hi there', CONTENT.disclaimer, 'hello', 'Hi! How can I help?',
    ]);
    expect(reloaded.nextId()).not.toBe(reloaded.state.entries.at(-1).id);
  });

  it('uses one key per server and strips trailing slashes', () => {
    expect(storageKey('http://a:5005/')).toBe(storageKey('http://a:5005'));
    expect(storageKey('http://a:5005')).not.toBe(storageKey('http://b:5005'));
  });

  it('starts fresh on corrupt or foreign data', () => {
    for (const junk of ['{not json', '{"v":99}', '[]', 'null']) {
      const storage = memoryStorage();
      storage.setItem(KEY, junk);
      const store = createStore(storage, KEY);
      expect(store.state.entries).toEqual([]);
      expect(store.state.sessionId).toBeNull();
    }
  });

  it('reset forgets the conversation but keeps the panel open', () => {
    const storage = memoryStorage();
    const store = createStore(storage, KEY);
    store.update((s) => Object.assign(s, { sessionId: 'x', open: true }));
    addUserMessage(store, 'hi');
    store.reset();
    const reloaded = createStore(storage, KEY);
    expect(reloaded.state).toMatchObject({ sessionId: null, open: true, entries: [], outbox: [] });
  });

  it('caps the stored transcript', () => {
    const store = createStore(memoryStorage(), KEY);
    for (let i = 0; i < MAX_ENTRIES + 20; i += 1) addBotPayload(store, { text: `m${i}` });
    expect(store.state.entries).toHaveLength(MAX_ENTRIES);
    expect(store.state.entries.at(-1).text).toBe(`m${MAX_ENTRIES + 19}`);
  });

  it('falls back to memory when the browser storage throws', () => {
    const storage = safeStorage(() => {
      throw new Error('SecurityError');
    });
    expect(storage.persistent).toBe(false);
    storage.setItem('k', 'v');
    expect(storage.getItem('k')).toBe('v');
  });
});

describe('outbox', () => {
  it('hands each message out exactly once, in order, and clears its pending mark', () => {
    const store = createStore(memoryStorage(), KEY);
    const a = addUserMessage(store, 'first');
    addUserMessage(store, 'Shoes', '/ask_footwear');
    expect(a.pending).toBe(true);
    expect(takeNextOutgoing(store)).toEqual({ id: a.id, message: 'first' });
    expect(takeNextOutgoing(store).message).toBe('/ask_footwear');
    expect(takeNextOutgoing(store)).toBeNull();
    expect(store.state.entries.every((e) => !e.pending)).toBe(true);
  });

  it('ignores blank messages', () => {
    const store = createStore(memoryStorage(), KEY);
    expect(addUserMessage(store, '   ')).toBeNull();
    expect(store.state.outbox).toEqual([]);
  });
});

describe('bot turns', () => {
  it('gives the text bubbles of an escalation turn the alert level, not earlier turns', () => {
    const store = createStore(memoryStorage(), KEY);
    addUserMessage(store, 'hi');
    addBotPayload(store, { text: 'Hello!' });
    addUserMessage(store, 'both my legs are numb');
    addBotPayload(store, { text: 'Please call 999 or go to A&E now.' });
    addBotPayload(store, { text: 'Numbness in both legs can be a sign of nerve compression.' });
    addBotPayload(store, { sciaticalm: { kind: 'escalation', level: 'emergency', calls: [{ label: 'Call 999', tel: '999' }] } });
    addBotPayload(store, { text: 'This is not medical advice.' });
    const byText = Object.fromEntries(store.state.entries.map((e) => [e.text ?? e.kind, e.alert]));
    expect(byText['Hello!']).toBeUndefined();
    expect(byText['Please call 999 or go to A&E now.']).toBe('emergency');
    expect(byText['Numbness in both legs can be a sign of nerve compression.']).toBe('emergency');
    expect(byText['This is not medical advice.']).toBe('emergency');
    expect(byText['both my legs are numb']).toBeUndefined();
  });

  it('offers quick replies only until the visitor answers', () => {
    const store = createStore(memoryStorage(), KEY);
    addBotPayload(store, { text: 'What would you like?', quick_replies: [{ title: 'Shoes', payload: '/shoes' }] });
    addBotPayload(store, { text: 'Or just type.' });
    expect(activeQuickReplies(store.state.entries)).toEqual([{ title: 'Shoes', payload: '/shoes' }]);
    addUserMessage(store, 'Shoes', '/shoes');
    expect(activeQuickReplies(store.state.entries)).toEqual([]);
  });
});
