// Colour helpers so a site's custom brand colour still gets readable text.

export function parseHex(value) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value ?? '').trim());
  if (!m) return null;
  const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

export function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Returns a validated '#rrggbb' colour and the text colour that reads best on it. */
export function themeColours(value, fallback = '#1d4f91') {
  const rgb = parseHex(value) ?? parseHex(fallback);
  const hex = '#' + rgb.map((c) => c.toString(16).padStart(2, '0')).join('');
  const white = [255, 255, 255];
  const dark = [0, 0, 0];
  const onPrimary = contrastRatio(rgb, white) >= contrastRatio(rgb, dark) ? '#ffffff' : '#000000';
  return { primary: hex, onPrimary, ratio: contrastRatio(rgb, parseHex(onPrimary)) };
}
