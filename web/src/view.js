// The widget's DOM: launcher, panel (dialog), message log, quick replies,
// typing indicator, status line and the message form. Keyboard and focus
// handling live here too.

import { el, icon } from './dom.js';
import { entryState, renderEntry, updateEntry } from './render.js';

export function createView(doc, { title, names, texts = {} }, handlers) {
  const launcher = el(doc, 'button', {
    type: 'button', class: 'scw-launcher', 'aria-expanded': 'false',
    'aria-controls': 'scw-panel', 'aria-label': `Chat with ${title}`,
  }, [icon(doc, 'chat'), el(doc, 'span', { class: 'scw-launcher-text', text: 'Chat' })]);

  const restart = el(doc, 'button', { type: 'button', class: 'scw-restart', text: 'Start over' });
  const close = el(doc, 'button', {
    type: 'button', class: 'scw-close', 'aria-label': 'Close chat', title: 'Close chat',
  }, [el(doc, 'span', { 'aria-hidden': 'true', text: '×' })]);
  const status = el(doc, 'div', { class: 'scw-status', role: 'status', 'aria-live': 'polite' });
  const log = el(doc, 'div', {
    class: 'scw-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions',
    'aria-label': 'Conversation', tabindex: '0',
  });
  const typing = el(doc, 'div', { class: 'scw-typing', hidden: true }, [
    el(doc, 'span', { class: 'scw-sr', text: `${names.bot} is typing` }),
    el(doc, 'span', { class: 'scw-dot', 'aria-hidden': 'true' }),
    el(doc, 'span', { class: 'scw-dot', 'aria-hidden': 'true' }),
    el(doc, 'span', { class: 'scw-dot', 'aria-hidden': 'true' }),
  ]);
  const quick = el(doc, 'div', {
    class: 'scw-quick', role: 'group', 'aria-label': 'Suggested replies', hidden: true,
  });
  const input = el(doc, 'input', {
    id: 'scw-input', class: 'scw-input', type: 'text', autocomplete: 'off',
    maxlength: '1000', placeholder: 'Type your message…', enterkeyhint: 'send',
  });
  const send = el(doc, 'button', { type: 'submit', class: 'scw-send', 'aria-label': 'Send message' }, [
    el(doc, 'span', { 'aria-hidden': 'true', text: 'Send' }),
  ]);
  const form = el(doc, 'form', { class: 'scw-form' }, [
    el(doc, 'label', { for: 'scw-input', class: 'scw-sr', text: 'Your message' }),
    input,
    send,
  ]);
  const panel = el(doc, 'section', {
    id: 'scw-panel', class: 'scw-panel', role: 'dialog', 'aria-labelledby': 'scw-title', hidden: true,
  }, [
    el(doc, 'header', { class: 'scw-header' }, [
      el(doc, 'h2', { id: 'scw-title', class: 'scw-title', text: title }),
      restart,
      close,
    ]),
    status, log, typing, quick, form,
  ]);
  const root = el(doc, 'aside', { class: 'scw-root', 'aria-label': `${title} chat` }, [panel, launcher]);

  const nodes = new Map();
  const states = new Map();
  let typingTimer = null;

  const view = {
    root, launcher, panel, log, input,
    get isOpen() {
      return !panel.hidden;
    },
    open({ focus = true } = {}) {
      panel.hidden = false;
      root.classList.add('scw-open');
      launcher.setAttribute('aria-expanded', 'true');
      log.scrollTop = log.scrollHeight;
      if (focus) input.focus();
    },
    close({ focus = true } = {}) {
      panel.hidden = true;
      root.classList.remove('scw-open');
      launcher.setAttribute('aria-expanded', 'false');
      if (focus) launcher.focus();
    },
    /** Brings the log in line with the stored entries (append, patch, remove). */
    sync(entries) {
      const ids = new Set(entries.map((e) => e.id));
      for (const [id, node] of nodes) {
        if (!ids.has(id)) {
          node.remove();
          nodes.delete(id);
          states.delete(id);
        }
      }
      for (const entry of entries) {
        const node = nodes.get(entry.id);
        if (!node) {
          const fresh = renderEntry(doc, entry, names, texts);
          log.appendChild(fresh);
          nodes.set(entry.id, fresh);
        } else if (states.get(entry.id) !== entryState(entry)) {
          updateEntry(doc, node, entry, names, texts);
        }
        states.set(entry.id, entryState(entry));
      }
      log.scrollTop = log.scrollHeight;
    },
    /** After a rating: focus the comment field (after 👎) or the thanks, so focus is never lost. */
    focusFeedback(entryId) {
      const node = nodes.get(entryId);
      (node?.querySelector('.scw-fb-input') ?? node?.querySelector('.scw-fb-thanks'))?.focus();
    },
    setQuickReplies(replies) {
      const hadFocus = quick.contains(doc.activeElement);
      quick.replaceChildren(
        ...replies.map((qr) =>
          el(doc, 'button', { type: 'button', class: 'scw-qr', 'data-payload': qr.payload, text: qr.title }),
        ),
      );
      quick.hidden = replies.length === 0;
      if (hadFocus && !quick.contains(doc.activeElement)) input.focus();
    },
    setTyping(on) {
      clearTimeout(typingTimer);
      typing.hidden = !on;
      if (on) typingTimer = setTimeout(() => (typing.hidden = true), 30000);
    },
    setStatus(text, kind = 'info') {
      status.textContent = text;
      status.dataset.kind = kind;
      status.hidden = !text;
    },
  };

  launcher.addEventListener('click', () => (view.isOpen ? handlers.onClose() : handlers.onOpen()));
  close.addEventListener('click', () => handlers.onClose());
  restart.addEventListener('click', () => handlers.onRestart());
  // On a phone the panel covers the page: keep Tab inside it (a modal dialog).
  const fullScreen = doc.defaultView?.matchMedia?.('(max-width: 480px)');
  const syncModal = () => {
    if (fullScreen?.matches) panel.setAttribute('aria-modal', 'true');
    else panel.removeAttribute('aria-modal');
  };
  syncModal();
  fullScreen?.addEventListener?.('change', syncModal);
  const trapTab = (event) => {
    const focusables = [...panel.querySelectorAll('button, input, [href], [tabindex="0"]')]
      .filter((n) => !n.closest('[hidden]') && !n.disabled);
    const first = focusables[0];
    const last = focusables.at(-1);
    if (event.shiftKey && doc.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && doc.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      handlers.onClose();
    } else if (event.key === 'Tab' && fullScreen?.matches) {
      trapTab(event);
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    handlers.onSend(text, text);
  });
  // 👍 / 👎, the comment after 👎 and "Keep my plan" live in the log's messages.
  log.addEventListener('click', (event) => {
    const rate = event.target.closest?.('.scw-fb-btn');
    if (rate) handlers.onFeedback?.(rate.dataset.entry, rate.dataset.rating, '');
    const keep = event.target.closest?.('.scw-plan-btn');
    if (keep) handlers.onKeepPlan?.(keep.dataset.entry, keep.dataset.plan);
  });
  log.addEventListener('submit', (event) => {
    const commentForm = event.target.closest?.('.scw-fb-form');
    if (!commentForm) return;
    event.preventDefault();
    const comment = commentForm.querySelector('.scw-fb-input').value.trim();
    if (comment) handlers.onFeedback?.(commentForm.dataset.entry, 'down', comment);
  });
  quick.addEventListener('click', (event) => {
    const button = event.target.closest?.('.scw-qr');
    if (button) handlers.onSend(button.textContent, button.dataset.payload);
  });
  status.hidden = true;
  return view;
}
