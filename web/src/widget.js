// Entry point: one <script src=".../widget.js" data-server="..." defer> tag
// adds the Sciaticalm chat widget to a page.

import { io } from 'socket.io-client';
import { findScript, readConfig } from './config.js';
import { Connection } from './connection.js';
import { themeColours } from './contrast.js';
import content from './content.json';
import { createStore, safeStorage, storageKey } from './store.js';
import css from './styles.css?inline';
import { keepPlan, planPage } from './plan.js';
import {
  activeQuickReplies, addBotPayload, addFeedback, addIntro, addUserMessage, takeNextOutgoing,
} from './transcript.js';
import { createView } from './view.js';

const STATUS_TEXT = {
  connecting: ['Connecting…', 'info'],
  online: ['', 'info'],
  offline: ['You are offline. Reconnecting… Messages you write will be sent once the connection is back.', 'warn'],
  unreachable: ["Can't reach the assistant right now. Trying again… Messages you write will be sent once it's back.", 'warn'],
};

/** A JWT from the site's token URL ({"token": "..."}), or null. */
export async function fetchToken(url, fetchImpl = globalThis.fetch) {
  const resp = await fetchImpl(url, { credentials: 'include', headers: { Accept: 'application/json' } });
  if (!resp.ok) return null;
  const data = await resp.json();
  return typeof data?.token === 'string' && data.token ? data.token : null;
}

export function mountWidget(win, config, ioImpl = io) {
  const doc = win.document;
  const names = { bot: config.title, user: 'You' };
  const colours = themeColours(config.color);
  const store = createStore(safeStorage(() => win.sessionStorage), storageKey(config.server));

  const style = doc.createElement('style');
  style.setAttribute('data-sciaticalm-widget', '');
  style.textContent = css;
  doc.head.appendChild(style);

  const refresh = () => {
    view.sync(store.state.entries);
    view.setQuickReplies(activeQuickReplies(store.state.entries));
  };

  // The typing indicator shows from sending until the answer is complete. Once the
  // server has shown it sends bot_turn_end, the indicator stays up between the
  // messages of one answer; before that (or from a plain Rasa server) the first
  // reply hides it. Any turn end hides it: it is never left up by a message whose
  // answer was lost.
  let turnEnds = false;

  const connection = new Connection({
    io: ioImpl,
    url: config.server,
    path: config.socketPath,
    getToken: config.tokenUrl ? () => fetchToken(config.tokenUrl) : undefined,
    getSessionId: () => store.state.sessionId,
    takeNext: () => takeNextOutgoing(store),
    onSession: (id) => {
      if (store.state.sessionId !== id) store.update((s) => (s.sessionId = id));
    },
    onBotMessage: (payload) => {
      addBotPayload(store, payload);
      if (!turnEnds) view.setTyping(false);
      refresh();
    },
    onTurnEnd: () => {
      turnEnds = true;
      view.setTyping(false);
    },
    onSent: (item) => {
      refresh();
      if (!item?.silent) view.setTyping(true); // feedback is never answered
    },
    onStatus: (status) => {
      // answers in progress are lost with the connection
      if (status !== 'online') view.setTyping(false);
      const key = status === 'offline' && win.navigator.onLine !== false ? 'unreachable' : status;
      const [text, kind] = STATUS_TEXT[key] ?? ['', 'info'];
      view.setStatus(text, kind);
    },
  });

  const ensureStarted = () => {
    if (!store.state.entries.length) addIntro(store, content);
    connection.start();
    refresh();
  };

  const api = {
    open() {
      ensureStarted();
      store.update((s) => (s.open = true));
      view.open();
    },
    close() {
      store.update((s) => (s.open = false));
      view.close();
    },
    restart() {
      store.reset();
      view.setTyping(false);
      addIntro(store, content);
      refresh();
      connection.restart();
      view.input.focus();
    },
    send(text, payload = text) {
      if (!addUserMessage(store, text, payload)) return;
      refresh();
      connection.flush();
    },
    /** 👍 / 👎 (comment '') or the comment after 👎 on the answer `entryId`. */
    feedback(entryId, rating, comment = '') {
      if (!addFeedback(store, entryId, rating, comment)) return;
      refresh();
      connection.flush();
      view.focusFeedback(entryId);
    },
    /** "Keep my plan": `how` is 'open' (a printable page in a new tab) or 'download'. */
    keepPlan(entryId, how) {
      const entry = store.state.entries.find((e) => e.id === entryId && e.kind === 'plan');
      if (!entry) return;
      keepPlan(win, planPage(doc, entry.plan, content.plan), how, content.plan.fileName);
    },
    connection,
    store,
  };

  const texts = { feedback: content.feedback, plan: content.plan };
  const view = createView(doc, { title: config.title, names, texts }, {
    onOpen: api.open,
    onClose: api.close,
    onRestart: api.restart,
    onSend: (text, payload) => api.send(text, payload),
    onFeedback: (entryId, rating, comment) => api.feedback(entryId, rating, comment),
    onKeepPlan: (entryId, how) => api.keepPlan(entryId, how),
  });
  view.root.style.setProperty('--scw-primary', colours.primary);
  view.root.style.setProperty('--scw-on-primary', colours.onPrimary);
  doc.body.appendChild(view.root);

  win.addEventListener('offline', () => view.setStatus(...STATUS_TEXT.offline));
  win.addEventListener('online', () => {
    if (connection.ready) view.setStatus('', 'info');
  });

  if (store.state.open || config.startOpen) {
    ensureStarted();
    store.update((s) => (s.open = true));
    view.open({ focus: false });
  } else if (store.state.sessionId || store.state.outbox.length) {
    ensureStarted();
  }
  return api;
}

function boot() {
  if (window.SciaticalmWidget) return;
  const config = readConfig(findScript(document));
  const start = () => {
    const api = mountWidget(window, config);
    window.SciaticalmWidget = { open: api.open, close: api.close, restart: api.restart };
  };
  window.SciaticalmWidget = { pending: true };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}

if (typeof window !== 'undefined' && !import.meta.env?.VITEST) boot();
