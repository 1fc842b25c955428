// Light, safe markdown for bot text: paragraphs, **bold**, "- " lists and
// [label](url) links. Everything is built with DOM nodes and textContent:
// message text is never parsed as HTML.

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:', 'tel:']);
const INLINE = /\*\*([^*\n](?:[^\n]*?[^*\n])?)\*\*|\[([^\]\n]+)\]\(([^()\s]+)\)/g;
const BULLET = /^\s*[-*•]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

/** Returns a safe href (http, https, mailto or tel) or null. */
export function safeHref(raw) {
  if (typeof raw !== 'string') return null;
  const value = raw.trim();
  if (!value || /[\u0000-\u001f\u007f]/.test(value)) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (!SAFE_PROTOCOLS.has(url.protocol)) return null;
  if (url.protocol === 'tel:' && !/^tel:\+?[0-9][0-9 ()-]*$/.test(value)) return null;
  return value;
}

function appendText(parent, doc, text) {
  if (text) parent.appendChild(doc.createTextNode(text));
}

/** Appends inline content (bold and links) of one line to parent. */
export function appendInline(parent, text, doc = document, allowLinks = true) {
  let last = 0;
  // matchAll works on a copy of the regex, so the recursion below is safe.
  for (const m of text.matchAll(INLINE)) {
    const isLink = m[2] !== undefined;
    if (isLink && !allowLinks) continue;
    appendText(parent, doc, text.slice(last, m.index));
    last = m.index + m[0].length;
    if (!isLink) {
      const strong = doc.createElement('strong');
      appendInline(strong, m[1], doc, allowLinks);
      parent.appendChild(strong);
      continue;
    }
    const href = safeHref(m[3]);
    if (!href) {
      appendText(parent, doc, m[2]);
      continue;
    }
    const a = doc.createElement('a');
    a.setAttribute('href', href);
    if (/^https?:/i.test(href)) {
      a.setAttribute('target', '_blank');
      a.setAttribute('rel', 'noopener noreferrer');
    }
    appendInline(a, m[2], doc, false);
    parent.appendChild(a);
  }
  appendText(parent, doc, text.slice(last));
}

function listOf(lines, doc, ordered) {
  const list = doc.createElement(ordered ? 'ol' : 'ul');
  for (const line of lines) {
    const li = doc.createElement('li');
    appendInline(li, line, doc);
    list.appendChild(li);
  }
  return list;
}

function paragraphOf(lines, doc) {
  const p = doc.createElement('p');
  lines.forEach((line, i) => {
    if (i > 0) p.appendChild(doc.createElement('br'));
    appendInline(p, line, doc);
  });
  return p;
}

/** Renders bot text into a DocumentFragment of p/ul/ol elements. */
export function renderMarkdown(text, doc = document) {
  const frag = doc.createDocumentFragment();
  const blocks = String(text ?? '').replace(/\r\n?/g, '\n').split(/\n\s*\n/);
  for (const block of blocks) {
    let run = [];
    let runType = null;
    const flush = () => {
      if (!run.length) return;
      frag.appendChild(runType === 'p' ? paragraphOf(run, doc) : listOf(run, doc, runType === 'ol'));
      run = [];
    };
    for (const line of block.split('\n')) {
      if (!line.trim()) continue;
      const bullet = BULLET.exec(line);
      const numbered = bullet ? null : NUMBERED.exec(line);
      const type = bullet ? 'ul' : numbered ? 'ol' : 'p';
      if (type !== runType) flush();
      runType = type;
      run.push(bullet ? bullet[1] : numbered ? numbered[1] : line.trim());
    }
    flush();
  }
  return frag;
}
