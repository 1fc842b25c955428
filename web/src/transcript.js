// Pure operations on the stored conversation: adding user and bot entries,
// grouping a bot turn under an escalation, and which quick replies are live.

import { feedbackPayload, rateable } from './feedback.js';
import { normalizeBotPayload } from './messages.js';

/** Adds the local greeting and disclaimer (no server round trip). */
export function addIntro(store, content) {
  store.update((s) => {
    s.entries.push({ id: store.nextId(), from: 'bot', kind: 'notice', text: content.greeting });
    s.entries.push({ id: store.nextId(), from: 'bot', kind: 'disclaimer', text: content.disclaimer });
  });
}

/** Records a visitor message and queues it for sending. Returns the entry. */
export function addUserMessage(store, text, payload = text) {
  const clean = String(text).trim();
  if (!clean) return null;
  const entry = { id: store.nextId(), from: 'user', kind: 'text', text: clean, pending: true };
  store.update((s) => {
    s.entries.push(entry);
    s.outbox.push({ id: entry.id, message: String(payload).trim() || clean });
  });
  return entry;
}

/** Records the visitor's rating (or comment) of an answer and queues it, silently:
 * it is not shown as a visitor message and gets no typing indicator. */
export function addFeedback(store, entryId, rating, comment = '') {
  const entry = store.state.entries.find((e) => e.id === entryId);
  if (!entry || !rateable(entry) || (comment ? entry.feedback !== 'down' || entry.commented : entry.feedback)) {
    return false;
  }
  store.update((s) => {
    const target = s.entries.find((e) => e.id === entryId);
    target.feedback = rating;
    if (comment) target.commented = true;
    s.outbox.push({ id: store.nextId(), message: feedbackPayload(rating, target.text, comment), silent: true });
  });
  return true;
}

/** Takes the next queued message off the outbox (at most once) and marks it sent. */
export function takeNextOutgoing(store) {
  let item = null;
  store.update((s) => {
    item = s.outbox.shift() ?? null;
    if (item) {
      const entry = s.entries.find((e) => e.id === item.id);
      if (entry) delete entry.pending;
    }
  });
  return item;
}

/** Index of the first bot entry of the current bot turn. */
function turnStart(entries) {
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (entries[i].from === 'user') return i + 1;
  }
  return 0;
}

/** Adds what arrived on bot_uttered. Returns the entries added. */
export function addBotPayload(store, payload) {
  const items = normalizeBotPayload(payload);
  const added = [];
  store.update((s) => {
    for (const item of items) {
      const entry = { id: store.nextId(), from: 'bot', ...item };
      const turn = s.entries.slice(turnStart(s.entries));
      const earlier = turn.find((e) => e.kind === 'escalation');
      if (earlier && entry.kind === 'text') entry.alert = earlier.level;
      s.entries.push(entry);
      added.push(entry);
      if (entry.kind === 'escalation') {
        for (const e of s.entries.slice(turnStart(s.entries))) {
          if (e.from === 'bot' && e.kind === 'text') e.alert = entry.level;
        }
      }
    }
  });
  return added;
}

/** Quick replies offered by the current bot turn (none once the visitor has answered). */
export function activeQuickReplies(entries) {
  const turn = entries.slice(turnStart(entries));
  for (let i = turn.length - 1; i >= 0; i -= 1) {
    if (turn[i].quickReplies?.length) return turn[i].quickReplies;
  }
  return [];
}
