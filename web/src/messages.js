import content from './content.json';
import { cleanPlan } from './plan.js';

// Turns what arrives on the socket.io `bot_uttered` event into plain entries
// the widget stores and renders. Unknown shapes are dropped, never rendered raw.

const LEVELS = new Set(['emergency', 'urgent']);
// The numbers to offer when an escalation payload brings none: from content/contact.yml,
// written into content.json by `make widget-texts`.
const DEFAULT_CALLS = content.calls;

function cleanQuickReplies(list) {
  if (!Array.isArray(list)) return [];
  return list
    .filter((b) => b && typeof b.title === 'string' && b.title.trim())
    .map((b) => ({
      title: b.title.trim(),
      payload: typeof b.payload === 'string' && b.payload ? b.payload : b.title.trim(),
    }));
}

function cleanCalls(calls) {
  if (!Array.isArray(calls)) return [];
  return calls
    .filter((c) => c && typeof c.tel === 'string' && /^\+?[0-9][0-9 ]{1,20}$/.test(c.tel.trim()))
    .map((c) => {
      const tel = c.tel.replace(/\s+/g, '');
      const label = typeof c.label === 'string' && c.label.trim() ? c.label.trim() : `Call ${tel}`;
      return { label, tel };
    });
}

/** Finds the Sciaticalm custom payload, however the channel wrapped it. */
function customPayload(msg) {
  for (const candidate of [msg, msg.custom, msg.data, msg.custom?.data]) {
    if (candidate && typeof candidate === 'object' && candidate.sciaticalm) {
      return candidate.sciaticalm;
    }
  }
  return null;
}

/** Normalises one bot_uttered payload into zero or more entries. */
export function normalizeBotPayload(msg) {
  if (typeof msg === 'string') return msg.trim() ? [{ kind: 'text', text: msg }] : [];
  if (!msg || typeof msg !== 'object') return [];

  const custom = customPayload(msg);
  if (custom && custom.kind === 'escalation') {
    const level = LEVELS.has(custom.level) ? custom.level : 'urgent';
    const calls = cleanCalls(custom.calls);
    return [{ kind: 'escalation', level, calls: calls.length ? calls : DEFAULT_CALLS[level] }];
  }

  const quickReplies = cleanQuickReplies(msg.quick_replies ?? msg.buttons);
  const text = typeof msg.text === 'string' ? msg.text : '';
  if (custom && custom.kind === 'plan') {
    // The plan to keep (sciaticalm/keepsake.py), with its message's text if it came along.
    const plan = { kind: 'plan', plan: cleanPlan(custom) };
    if (!plan.plan.sections.length) return text.trim() ? [{ kind: 'text', text }] : [];
    return text.trim() ? [{ kind: 'text', text }, plan] : [plan];
  }
  if (!text.trim() && !quickReplies.length) return [];
  const entry = { kind: 'text', text };
  if (quickReplies.length) entry.quickReplies = quickReplies;
  return [entry];
}
