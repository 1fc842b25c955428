// "Was this helpful?" 👍 / 👎 under each answer. The rating is sent at the first tap as
// the message `/feedback{...}` (the contract in docs/widget.md); the server logs it and
// never answers it. After 👎 an optional one-line comment can follow: it is sent as a
// second 👎 record for the same answer, carrying the comment.

import { el, icon } from './dom.js';

export const MAX_COMMENT_CHARS = 200;
export const MAX_ANSWER_CHARS = 300;

/** The message text that carries one rating (JSON.stringify escapes quotes). */
export function feedbackPayload(rating, answerText, comment = '') {
  const data = { feedback_rating: rating };
  const note = String(comment ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_COMMENT_CHARS);
  if (note) data.feedback_comment = note;
  data.feedback_answer = String(answerText ?? '').slice(0, MAX_ANSWER_CHARS);
  return `/feedback${JSON.stringify(data)}`;
}

/** Whether an entry gets the control: the assistant's own answers, not the local intro,
 * and not an escalation (nothing should stand between a visitor and the call buttons). */
export function rateable(entry) {
  return entry.from === 'bot' && entry.kind === 'text' && !entry.alert && Boolean(entry.text?.trim());
}

/** The control for one answer, in the state its entry records. */
export function feedbackControl(doc, entry, texts) {
  const id = entry.id;
  if (!entry.feedback) {
    const button = (rating, label, drawing) =>
      el(doc, 'button', {
        type: 'button', class: 'scw-fb-btn', 'data-rating': rating, 'data-entry': id,
        'aria-label': label, title: label,
      }, [icon(doc, drawing)]);
    return el(doc, 'div', {
      class: 'scw-fb', role: 'group', 'aria-labelledby': `scw-fb-q-${id}`,
    }, [
      el(doc, 'span', { id: `scw-fb-q-${id}`, class: 'scw-fb-q', text: texts.question }),
      button('up', texts.up, 'thumbUp'),
      button('down', texts.down, 'thumbDown'),
    ]);
  }
  const thanks = el(doc, 'p', {
    class: 'scw-fb-thanks', tabindex: '-1',
    text: entry.commented ? texts.commentThanks : texts.thanks,
  });
  if (entry.feedback !== 'down' || entry.commented) return el(doc, 'div', { class: 'scw-fb' }, [thanks]);
  const inputId = `scw-fb-c-${id}`;
  return el(doc, 'div', { class: 'scw-fb' }, [
    thanks,
    el(doc, 'form', { class: 'scw-fb-form', 'data-entry': id }, [
      el(doc, 'label', { for: inputId, class: 'scw-fb-label', text: texts.commentLabel }),
      el(doc, 'input', {
        id: inputId, class: 'scw-fb-input', type: 'text', maxlength: String(MAX_COMMENT_CHARS),
        autocomplete: 'off', enterkeyhint: 'send',
      }),
      el(doc, 'button', { type: 'submit', class: 'scw-fb-send', text: texts.commentSend }),
    ]),
  ]);
}
