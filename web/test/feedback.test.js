import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import content from '../src/content.json';
import { feedbackPayload } from '../src/feedback.js';
import { cleanPlan, planPage } from '../src/plan.js';
import { mountWidget } from '../src/widget.js';
import { fakeIo } from './fakes.js';

const CONFIG = {
  server: 'http://rasa.test:5005', socketPath: '/socket.io', title: 'Sciaticalm assistant',
  color: '#1d4f91', startOpen: false,
};
const ANSWER = 'Get fitted for **running shoes** at a "specialist" shop.';
const FB = content.feedback;

let io;
const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => [...document.querySelectorAll(sel)];
const byLabel = (label) => $$('button').filter((b) => b.getAttribute('aria-label') === label);

function mount() {
  document.body.replaceChildren();
  document.head.replaceChildren();
  return mountWidget(window, CONFIG, io);
}

/** Opens the widget, asks a question and gets ANSWER back; returns the socket. */
function answered() {
  mount();
  $('.scw-launcher').click();
  const socket = io.sockets.at(-1);
  socket.serverConnect();
  socket.confirm('session-1');
  const input = $('#scw-input');
  input.value = 'what shoes?';
  input.form.requestSubmit();
  socket.fire('bot_uttered', { text: ANSWER });
  socket.fire('bot_turn_end', {});
  return socket;
}

const feedbackSent = (socket) =>
  socket.sent('user_uttered').map((d) => d.message).filter((m) => m.startsWith('/feedback'));
const parse = (message) => JSON.parse(message.slice('/feedback'.length));

beforeEach(() => {
  window.sessionStorage.clear();
  io = fakeIo();
});
afterEach(() => document.body.replaceChildren());

describe('feedbackPayload', () => {
  it('is /feedback and JSON (quotes escaped), the answer cut to 300 and the comment to one line of 200', () => {
    const long = 'x'.repeat(400);
    const message = feedbackPayload('down', `say "hi" ${long}`, ` too\nvague ${'y'.repeat(300)}`);
    expect(message.startsWith('/feedback{')).toBe(true);
    const data = parse(message);
    expect(data.feedback_rating).toBe('down');
    expect(data.feedback_answer).toHaveLength(300);
    expect(data.feedback_answer.startsWith('say "hi" ')).toBe(true);
    expect(data.feedback_comment.startsWith('too vague ')).toBe(true);
    expect(data.feedback_comment).toHaveLength(200);
    expect(parse(feedbackPayload('up', 'ok'))).toEqual({ feedback_rating: 'up', feedback_answer: 'ok' });
  });
});

describe('the 👍 / 👎 control', () => {
  it('is a labelled group with two named buttons under each answer, not under the local intro', () => {
    answered();
    const groups = $$('.scw-fb[role="group"]');
    expect(groups).toHaveLength(1); // greeting and disclaimer are not rated
    const group = groups[0];
    expect(document.getElementById(group.getAttribute('aria-labelledby')).textContent).toBe(FB.question);
    expect(group.closest('.scw-msg').textContent).toContain('running shoes');
    const buttons = [...group.querySelectorAll('button')];
    expect(buttons.map((b) => b.getAttribute('aria-label'))).toEqual([FB.up, FB.down]);
    expect(buttons.every((b) => b.type === 'button')).toBe(true);
    // the emoji are decoration: the accessible name is the label
    expect(buttons.every((b) => b.querySelector('[aria-hidden="true"]'))).toBe(true);
  });

  it('is not offered on an escalation, even when the alert arrives after its text', () => {
    const socket = answered();
    const input = $('#scw-input');
    input.value = 'both my legs are numb';
    input.form.requestSubmit();
    socket.fire('bot_uttered', { text: 'Please call 999 or go to A&E now.' });
    socket.fire('bot_uttered', {
      sciaticalm: { kind: 'escalation', level: 'emergency', calls: [{ label: 'Call 999', tel: '999' }] },
    });
    const alertText = $$('.scw-msg--bot').find((m) => m.textContent.includes('Please call 999'));
    expect(alertText.querySelector('.scw-fb')).toBeNull();
    expect($$('.scw-fb[role="group"]')).toHaveLength(1); // the earlier answer keeps its own
  });

  it('one tap on 👍 sends the rating once, shows thanks, keeps focus in the widget, shows no visitor message', () => {
    const socket = answered();
    const before = $$('.scw-msg--user').length;
    byLabel(FB.up)[0].click();
    const sent = feedbackSent(socket);
    expect(sent).toHaveLength(1);
    expect(parse(sent[0])).toEqual({ feedback_rating: 'up', feedback_answer: ANSWER });
    expect(socket.sent('user_uttered').at(-1)).toEqual({ message: sent[0], session_id: 'session-1' });
    expect($$('.scw-msg--user')).toHaveLength(before);
    expect($('.scw-typing').hidden).toBe(true); // feedback is never answered
    expect(byLabel(FB.up)).toHaveLength(0);
    expect(document.activeElement.textContent).toBe(FB.thanks);
    byLabel(FB.up)[0]?.click();
    expect(feedbackSent(socket)).toHaveLength(1);
  });

  it('👎 is sent at once; an optional one-line comment after it is sent with a 👎, once', () => {
    const socket = answered();
    byLabel(FB.down)[0].click();
    expect(feedbackSent(socket).map(parse)).toEqual([{ feedback_rating: 'down', feedback_answer: ANSWER }]);
    const field = $('.scw-fb-input');
    expect(document.activeElement).toBe(field); // ready to type
    expect($(`label[for="${field.id}"]`).textContent).toBe(FB.commentLabel);
    expect(field.getAttribute('maxlength')).toBe('200');
    field.value = 'Too vague about <b>shoes</b>';
    field.form.requestSubmit();
    const sent = feedbackSent(socket).map(parse);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({
      feedback_rating: 'down', feedback_comment: 'Too vague about <b>shoes</b>', feedback_answer: ANSWER,
    });
    expect($('.scw-fb-input')).toBeNull();
    expect(document.activeElement.textContent).toBe(FB.commentThanks);
    expect($('.scw-panel b')).toBeNull();
  });

  it('an empty comment sends nothing more', () => {
    const socket = answered();
    byLabel(FB.down)[0].click();
    $('.scw-fb-input').form.requestSubmit();
    expect(feedbackSent(socket)).toHaveLength(1);
  });

  it('works from the keyboard: Tab reaches the buttons, Enter on the comment sends it', async () => {
    const socket = answered();
    const down = byLabel(FB.down)[0];
    down.focus();
    expect(document.activeElement).toBe(down);
    down.click(); // Enter / Space on a focused <button> is a click
    const field = document.activeElement;
    field.value = 'missing steps';
    field.form.requestSubmit(); // Enter in a one-field form submits it
    expect(feedbackSent(socket).map(parse).at(-1).feedback_comment).toBe('missing steps');
  });

  it('keeps the rating across a reload and sends it once even when given offline', () => {
    const socket = answered();
    socket.drop();
    byLabel(FB.up)[0].click();
    expect(feedbackSent(socket)).toHaveLength(0);
    socket.serverConnect();
    socket.confirm();
    expect(feedbackSent(socket)).toHaveLength(1);
    io = fakeIo();
    mount();
    expect(byLabel(FB.up)).toHaveLength(0);
    expect($('.scw-fb-thanks').textContent).toBe(FB.thanks);
  });
});

const PLAN = {
  sciaticalm: {
    kind: 'plan',
    sections: ['**Ease your training load**\n- Build up gradually', 'Stretch regularly'],
    answers: [{ question: 'How old are your shoes?', answer: '<img src=x onerror=alert(1)> 2 years' }],
    disclaimer: 'This is general information only.',
    contact: 'Call our help line on [02380 248725](tel:+442380248725).',
    helpline: { display: '02380 248725', tel: '+442380248725' },
  },
};

describe('Keep my plan', () => {
  it('shows a named group with two buttons after the plan, and no rating on it', () => {
    const socket = answered();
    socket.fire('bot_uttered', { text: 'That is your plan.' });
    socket.fire('bot_uttered', PLAN);
    const box = $(`[role="group"][aria-label="${content.plan.keep}"]`);
    expect(box).not.toBeNull();
    expect([...box.querySelectorAll('button')].map((b) => b.textContent))
      .toEqual([content.plan.open, content.plan.download]);
    expect(box.closest('.scw-msg').querySelector('.scw-fb')).toBeNull();
  });

  it('the page holds the plan, the answers (escaped), the disclaimer and the help line, and no script', () => {
    const html = planPage(document, cleanPlan(PLAN.sciaticalm), content.plan, new Date(2026, 11, 4));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Ease your training load');
    expect(html).toContain('This is general information only.');
    expect(html).toContain('href="tel:+442380248725"');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; 2 years');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('4 December 2026');
  });

  it('drops a bad help line number and non-text fields', () => {
    const plan = cleanPlan({ sections: ['ok', 3], answers: [{ answer: {} }], helpline: { tel: 'javascript:x' } });
    expect(plan).toEqual({ sections: ['ok'], answers: [], disclaimer: '', contact: '', helpline: null });
  });

  it('download makes a file of the page; open shows it in a new tab', () => {
    const socket = answered();
    socket.fire('bot_uttered', PLAN);
    const blobs = [];
    window.URL.createObjectURL = vi.fn((blob) => { blobs.push(blob); return 'blob:plan'; });
    window.URL.revokeObjectURL = vi.fn();
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      expect(this.download).toBe(content.plan.fileName);
      expect(this.getAttribute('href')).toBe('blob:plan');
    });
    const opened = vi.spyOn(window, 'open').mockImplementation(() => null);
    $$('.scw-plan-btn').find((b) => b.textContent === content.plan.download).click();
    expect(clicked).toHaveBeenCalledTimes(1);
    $$('.scw-plan-btn').find((b) => b.textContent === content.plan.open).click();
    expect(opened).toHaveBeenCalledWith('blob:plan', '_blank');
    expect(blobs).toHaveLength(2);
    expect(blobs[0].type).toBe('text/html;charset=utf-8');
    clicked.mockRestore();
    opened.mockRestore();
  });
});
