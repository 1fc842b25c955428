import { describe, expect, it } from 'vitest';
import { normalizeBotPayload } from '../src/messages.js';

const ESCALATION = {
  sciaticalm: {
    kind: 'escalation',
    level: 'emergency',
    calls: [
      { label: 'Call 999', tel: '999' },
      { label: 'Call 02380 248725', tel: '+442380248725' },
    ],
  },
};

describe('normalizeBotPayload', () => {
  it('keeps plain text', () => {
    expect(normalizeBotPayload({ text: 'Hello' })).toEqual([{ kind: 'text', text: 'Hello' }]);
  });

  it('maps quick_replies to title/payload pairs and drops junk', () => {
    const [entry] = normalizeBotPayload({
      text: 'Pick one',
      quick_replies: [
        { content_type: 'text', title: 'Shoes', payload: '/ask_footwear' },
        { content_type: 'text', title: 'Exercises' },
        { title: '' },
        null,
      ],
    });
    expect(entry.quickReplies).toEqual([
      { title: 'Shoes', payload: '/ask_footwear' },
      { title: 'Exercises', payload: 'Exercises' },
    ]);
  });

  it('recognises the escalation custom payload, bare or wrapped by the channel', () => {
    for (const shape of [ESCALATION, { data: ESCALATION }, { custom: ESCALATION }]) {
      expect(normalizeBotPayload(shape)).toEqual([
        { kind: 'escalation', level: 'emergency', calls: ESCALATION.sciaticalm.calls },
      ]);
    }
  });

  it('rejects call numbers that are not phone numbers and falls back to the default call', () => {
    const [entry] = normalizeBotPayload({
      sciaticalm: { kind: 'escalation', level: 'emergency', calls: [{ label: 'x', tel: 'javascript:alert(1)' }] },
    });
    expect(entry.calls).toEqual([{ label: 'Call 999', tel: '999' }]);
  });

  it('treats an unknown level as urgent (help line)', () => {
    const [entry] = normalizeBotPayload({ sciaticalm: { kind: 'escalation', level: 'meh' } });
    expect(entry.level).toBe('urgent');
    expect(entry.calls[0].tel).toBe('+442380248725');
  });

  it('drops shapes it does not understand', () => {
    expect(normalizeBotPayload({ attachment: { type: 'image' } })).toEqual([]);
    expect(normalizeBotPayload({ sciaticalm: { kind: 'other' } })).toEqual([]);
    expect(normalizeBotPayload(null)).toEqual([]);
    expect(normalizeBotPayload(42)).toEqual([]);
    expect(normalizeBotPayload({ text: '   ' })).toEqual([]);
  });
});
