import { describe, expect, it } from 'vitest';
import { contrastRatio, parseHex, themeColours } from '../src/contrast.js';

describe('contrast', () => {
  it('computes WCAG ratios', () => {
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrastRatio([255, 255, 255], [255, 255, 255])).toBeCloseTo(1, 5);
  });

  it('parses #rgb and #rrggbb only', () => {
    expect(parseHex('#fff')).toEqual([255, 255, 255]);
    expect(parseHex('1d4f91')).toEqual([29, 79, 145]);
    expect(parseHex('red')).toBeNull();
    expect(parseHex('url(x)')).toBeNull();
  });

  it('picks readable text for any brand colour (AA, 4.5:1)', () => {
    for (const colour of ['#1d4f91', '#ffd400', '#00a86b', '#777777', '#000', '#fff']) {
      const theme = themeColours(colour);
      expect(theme.ratio).toBeGreaterThanOrEqual(4.5);
    }
    expect(themeColours('#ffd400').onPrimary).toBe('#000000');
    expect(themeColours('#1d4f91').onPrimary).toBe('#ffffff');
  });

  it('falls back to the default colour for invalid input', () => {
    expect(themeColours('expression(alert(1))').primary).toBe('#1d4f91');
  });
});
