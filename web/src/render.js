// Renders stored entries into message elements (bubbles with sender labels,
// escalation alerts with click-to-call links).

import { el, icon } from './dom.js';
import { feedbackControl, rateable } from './feedback.js';
import { renderMarkdown } from './markdown.js';
import { planBox } from './plan.js';

export const LEVEL_LABELS = { emergency: 'Emergency', urgent: 'Urgent' };

function sender(doc, text, level) {
  const label = el(doc, 'span', { class: 'scw-sender' }, [text]);
  if (level) {
    label.appendChild(
      el(doc, 'span', { class: 'scw-flag' }, [icon(doc, 'warning'), LEVEL_LABELS[level]]),
    );
  }
  return label;
}

function escalation(doc, entry, botName) {
  const level = entry.level;
  const links = entry.calls.map((call) =>
    el(doc, 'li', {}, [
      el(doc, 'a', { class: 'scw-call', href: `tel:${call.tel}` }, [icon(doc, 'phone'), call.label]),
    ]),
  );
  const alert = el(doc, 'div', { class: `scw-alert scw-alert--${level}`, role: 'alert' }, [
    el(doc, 'p', { class: 'scw-alert-title' }, [
      icon(doc, 'warning', 'scw-icon scw-alert-icon'),
      `${LEVEL_LABELS[level]}: `,
      level === 'emergency' ? 'get help now' : 'get advice today',
    ]),
    el(doc, 'ul', { class: 'scw-calls' }, links),
  ]);
  return el(doc, 'div', { class: `scw-msg scw-msg--bot scw-msg--${level}`, 'data-id': entry.id }, [
    sender(doc, botName),
    alert,
  ]);
}

/** Returns the element for one stored entry. */
export function renderEntry(doc, entry, names, texts = {}) {
  if (entry.kind === 'escalation') return escalation(doc, entry, names.bot);
  if (entry.kind === 'plan') {
    return el(doc, 'div', { class: 'scw-msg scw-msg--bot', 'data-id': entry.id }, [
      sender(doc, names.bot), planBox(doc, entry, texts.plan),
    ]);
  }
  const fromUser = entry.from === 'user';
  const bubble = el(doc, 'div', { class: 'scw-bubble' });
  if (fromUser) {
    // Visitor text is shown exactly as typed: textContent, no markdown.
    bubble.appendChild(el(doc, 'p', { text: entry.text }));
  } else {
    bubble.appendChild(renderMarkdown(entry.text, doc));
  }
  const classes = ['scw-msg', fromUser ? 'scw-msg--user' : 'scw-msg--bot'];
  if (entry.kind === 'disclaimer') classes.push('scw-msg--disclaimer');
  if (entry.alert) classes.push('scw-msg--alert', `scw-msg--${entry.alert}`);
  if (entry.pending) classes.push('scw-msg--pending');
  const children = [sender(doc, fromUser ? names.user : names.bot, entry.alert), bubble];
  if (entry.pending) {
    children.push(el(doc, 'span', { class: 'scw-pending', text: 'Waiting to send…' }));
  }
  if (rateable(entry) && texts.feedback) children.push(feedbackControl(doc, entry, texts.feedback));
  return el(doc, 'div', { class: classes.join(' '), 'data-id': entry.id }, children);
}

/** Patches an existing message element after its entry changed (sent, alert). */
export function updateEntry(doc, node, entry, names, texts = {}) {
  if (entry.kind === 'escalation' || entry.kind === 'plan') return;
  const control = node.querySelector('.scw-fb');
  if (control && !rateable(entry)) control.remove();
  else if (control && texts.feedback) control.replaceWith(feedbackControl(doc, entry, texts.feedback));
  if (!entry.pending) {
    node.classList.remove('scw-msg--pending');
    node.querySelector('.scw-pending')?.remove();
  }
  if (entry.alert && !node.classList.contains('scw-msg--alert')) {
    node.classList.add('scw-msg--alert', `scw-msg--${entry.alert}`);
    node.querySelector('.scw-sender')?.replaceWith(sender(doc, names.bot, entry.alert));
  }
}

/** A string that changes whenever updateEntry has something to do. */
export function entryState(entry) {
  return `${entry.pending ? 'p' : ''}${entry.alert ?? ''}|${entry.feedback ?? ''}${entry.commented ? 'c' : ''}`;
}
