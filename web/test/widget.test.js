import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import content from '../src/content.json';
import { mountWidget } from '../src/widget.js';
import { fakeIo } from './fakes.js';

const CONFIG = {
  server: 'http://rasa.test:5005', socketPath: '/socket.io', title: 'Sciaticalm assistant',
  color: '#1d4f91', startOpen: false,
};
const EMERGENCY = {
  sciaticalm: {
    kind: 'escalation', level: 'emergency',
    calls: [{ label: 'Call 999', tel: '999' }, { label: 'Call 02380 248725', tel: '+442380248725' }],
  },
};

let io;

function mount(config = CONFIG) {
  document.body.replaceChildren();
  document.head.replaceChildren();
  return mountWidget(window, config, io);
}

const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => [...document.querySelectorAll(sel)];
const bubbles = () => $$('.scw-log .scw-msg').map((m) => m.querySelector('.scw-bubble, .scw-alert').textContent);

function online() {
  const socket = io.sockets.at(-1);
  socket.serverConnect();
  socket.confirm('session-1');
  return socket;
}

function type(text) {
  const input = $('#scw-input');
  input.value = text;
  input.form.requestSubmit();
}

beforeEach(() => {
  window.sessionStorage.clear();
  io = fakeIo();
});
afterEach(() => document.body.replaceChildren());

describe('widget', () => {
  it('shows a labelled launcher and no socket until opened', () => {
    mount();
    const launcher = $('.scw-launcher');
    expect(launcher.getAttribute('aria-label')).toBe('Chat with Sciaticalm assistant');
    expect(launcher.getAttribute('aria-expanded')).toBe('false');
    expect($('.scw-panel').hidden).toBe(true);
    expect(io.sockets).toHaveLength(0);
  });

  it('opens with the greeting and disclaimer, no server round trip, focus in the input', () => {
    mount();
    $('.scw-launcher').click();
    expect($('.scw-panel').hidden).toBe(false);
    expect(bubbles()).toEqual([content.greeting, content.disclaimer]);
    expect(document.activeElement).toBe($('#scw-input'));
    expect($('.scw-log').getAttribute('role')).toBe('log');
    expect($('.scw-launcher').getAttribute('aria-expanded')).toBe('true');
    expect(io.sockets).toHaveLength(1);
    expect(io.sockets[0].url).toBe('http://rasa.test:5005');
  });

  it('Escape and the close button close the panel and focus returns to the launcher', () => {
    mount();
    $('.scw-launcher').click();
    $('#scw-input').dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect($('.scw-panel').hidden).toBe(true);
    expect(document.activeElement).toBe($('.scw-launcher'));
    $('.scw-launcher').click();
    $('.scw-close').click();
    expect($('.scw-panel').hidden).toBe(true);
    expect(document.activeElement).toBe($('.scw-launcher'));
  });

  it('shows visitor text literally, never as HTML', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('<img src=x onerror=alert(1)>');
    expect($('.scw-panel img')).toBeNull();
    expect(bubbles().at(-1)).toBe('<img src=x onerror=alert(1)>');
    expect(socket.sent('user_uttered')).toEqual([
      { message: '<img src=x onerror=alert(1)>', session_id: 'session-1' },
    ]);
  });

  it('keeps the typing indicator up until bot_turn_end once the server sends it', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('hi');
    socket.fire('bot_uttered', { text: 'Hello' }); // before any turn end: the first reply hides it
    expect($('.scw-typing').hidden).toBe(true);
    socket.fire('bot_turn_end', {});
    type('my legs are numb');
    expect($('.scw-typing').hidden).toBe(false);
    socket.fire('bot_uttered', { text: 'Please call 999 or go to A&E now.' });
    expect($('.scw-typing').hidden).toBe(false); // more of this answer is coming
    socket.fire('bot_uttered', EMERGENCY);
    socket.fire('bot_turn_end', {});
    expect($('.scw-typing').hidden).toBe(true);
    type('thanks');
    expect($('.scw-typing').hidden).toBe(false);
    socket.fire('disconnect', 'transport close'); // the answer is lost with the link
    expect($('.scw-typing').hidden).toBe(true);
  });

  it('renders bot markdown, quick replies, and sends the payload of a clicked reply', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('hi');
    expect($('.scw-typing').hidden).toBe(false);
    socket.fire('bot_uttered', { text: 'Hi! I can help with:\n- **shoes**\n- exercises' });
    socket.fire('bot_uttered', {
      text: 'What next?',
      quick_replies: [{ content_type: 'text', title: 'Shoes', payload: '/ask_footwear' }],
    });
    expect($('.scw-typing').hidden).toBe(true);
    expect($('.scw-log li strong').textContent).toBe('shoes');
    const qr = $('.scw-qr');
    expect(qr.textContent).toBe('Shoes');
    qr.focus();
    qr.click();
    expect(socket.sent('user_uttered').at(-1).message).toBe('/ask_footwear');
    expect(bubbles().at(-1)).toBe('Shoes');
    expect($('.scw-quick').hidden).toBe(true);
    expect(document.activeElement).toBe($('#scw-input'));
  });

  it('marks an escalation turn as an alert with click-to-call links', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('both my legs are numb');
    socket.fire('bot_uttered', { text: 'Please call 999 or go to A&E now.' });
    socket.fire('bot_uttered', EMERGENCY);
    const alert = $('[role="alert"]');
    expect(alert.textContent).toMatch(/Emergency/);
    expect($$('[role="alert"] a').map((a) => a.getAttribute('href'))).toEqual([
      'tel:999', 'tel:+442380248725',
    ]);
    const textMsg = $$('.scw-msg--bot').find((m) => m.textContent.includes('Please call 999'));
    expect(textMsg.classList.contains('scw-msg--emergency')).toBe(true);
    expect(textMsg.querySelector('.scw-flag').textContent).toMatch(/Emergency/);
  });

  it('restores the conversation and session after a reload and reuses the session id', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('what shoes should I wear?');
    socket.fire('bot_uttered', { text: 'Get fitted for **running shoes**.' });
    const before = bubbles();

    io = fakeIo();
    mount(); // same sessionStorage, fresh page
    expect($('.scw-panel').hidden).toBe(false);
    expect(bubbles()).toEqual(before);
    const again = io.sockets[0];
    again.serverConnect();
    expect(again.sent('session_request')).toEqual([{ session_id: 'session-1' }]);
  });

  it('queues messages while offline, says so, and sends them once when back', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    socket.drop();
    expect($('.scw-status').hidden).toBe(false);
    expect($('.scw-status').textContent).toMatch(/can't reach the assistant/i);
    const onLine = vi.spyOn(window.navigator, 'onLine', 'get').mockReturnValue(false);
    socket.fire('connect_error', new Error('xhr poll error'));
    expect($('.scw-status').textContent).toMatch(/you are offline/i);
    onLine.mockRestore();
    type('are you there?');
    expect($('.scw-msg--pending')).not.toBeNull();
    expect(socket.sent('user_uttered')).toEqual([]);
    socket.serverConnect();
    socket.confirm();
    expect(socket.sent('user_uttered').map((d) => d.message)).toEqual(['are you there?']);
    expect($('.scw-msg--pending')).toBeNull();
    expect($('.scw-status').hidden).toBe(true);
  });

  it('start over clears the conversation, shows the intro again and asks for a new session', () => {
    mount();
    $('.scw-launcher').click();
    const socket = online();
    type('hello');
    $('.scw-restart').click();
    expect(bubbles()).toEqual([content.greeting, content.disclaimer]);
    socket.serverConnect();
    expect(socket.sent('session_request').at(-1)).toEqual({ session_id: null });
  });

  it('honours data-start-open and picks readable text for a light brand colour', () => {
    mount({ ...CONFIG, startOpen: true, color: '#ffd400', title: 'Back pain helper' });
    expect($('.scw-panel').hidden).toBe(false);
    expect($('#scw-title').textContent).toBe('Back pain helper');
    const root = $('.scw-root');
    expect(root.style.getPropertyValue('--scw-primary')).toBe('#ffd400');
    expect(root.style.getPropertyValue('--scw-on-primary')).toBe('#000000');
  });

  it('is a modal dialog that keeps Tab inside on a phone-sized screen', () => {
    const original = window.matchMedia;
    window.matchMedia = (q) => ({ matches: q.includes('max-width'), addEventListener() {} });
    try {
      mount();
      $('.scw-launcher').click();
      expect($('#scw-panel').getAttribute('aria-modal')).toBe('true');
      const send = $('.scw-send');
      send.focus();
      send.dispatchEvent(new KeyboardEvent('keydown', { key: 'Tab', bubbles: true }));
      expect(document.activeElement).toBe($('.scw-restart'));
      $('.scw-restart').dispatchEvent(
        new KeyboardEvent('keydown', { key: 'Tab', shiftKey: true, bubbles: true }),
      );
      expect(document.activeElement).toBe(send);
    } finally {
      window.matchMedia = original;
    }
  });

  it('is not modal on a desktop', () => {
    mount();
    $('.scw-launcher').click();
    expect($('#scw-panel').hasAttribute('aria-modal')).toBe(false);
  });
});

describe('readConfig and fetchToken', () => {
  it('reads data-token-url, absent by default', async () => {
    const { readConfig } = await import('../src/config.js');
    expect(readConfig({ dataset: { server: 'http://x' } }).tokenUrl).toBeNull();
    expect(readConfig({ dataset: { server: 'http://x', tokenUrl: ' /chat-token ' } }).tokenUrl)
      .toBe('/chat-token');
  });

  it('takes the token from the JSON answer, and nothing from an error or a bad body', async () => {
    const { fetchToken } = await import('../src/widget.js');
    const answer = (ok, body) => async () => ({ ok, json: async () => body });
    expect(await fetchToken('/t', answer(true, { token: 'abc' }))).toBe('abc');
    expect(await fetchToken('/t', answer(false, { token: 'abc' }))).toBeNull();
    expect(await fetchToken('/t', answer(true, { token: 42 }))).toBeNull();
    expect(await fetchToken('/t', answer(true, null))).toBeNull();
  });
});
