import { describe, expect, it } from 'vitest';
import { renderMarkdown, safeHref } from '../src/markdown.js';

function render(text) {
  const div = document.createElement('div');
  div.appendChild(renderMarkdown(text));
  return div;
}

describe('renderMarkdown', () => {
  it('splits paragraphs on blank lines and keeps single newlines as <br>', () => {
    const div = render('First line\nsecond line\n\nNext paragraph');
    const ps = div.querySelectorAll('p');
    expect(ps).toHaveLength(2);
    expect(ps[0].querySelectorAll('br')).toHaveLength(1);
    expect(ps[1].textContent).toBe('Next paragraph');
  });

  it('renders **bold**', () => {
    const div = render('Ease off **for a week** then build up');
    expect(div.querySelector('strong').textContent).toBe('for a week');
    expect(div.textContent).toBe('Ease off for a week then build up');
  });

  it('renders "- " lines as a list, with text before it as a paragraph', () => {
    const div = render('Try these:\n- glute bridges\n- **bird dog**\n- side plank');
    expect(div.querySelector('p').textContent).toBe('Try these:');
    const items = [...div.querySelectorAll('ul > li')].map((li) => li.textContent);
    expect(items).toEqual(['glute bridges', 'bird dog', 'side plank']);
    expect(div.querySelector('li strong').textContent).toBe('bird dog');
  });

  it('renders numbered lists', () => {
    const div = render('1. warm up\n2. run easy');
    expect([...div.querySelectorAll('ol > li')].map((li) => li.textContent)).toEqual([
      'warm up',
      'run easy',
    ]);
  });

  it('renders tel:, https: and mailto: links', () => {
    const div = render(
      'Call [02380 248725](tel:+442380248725), read [the article](https://example.org/a) or [mail us](mailto:team@example.org)',
    );
    const links = [...div.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual([
      'tel:+442380248725',
      'https://example.org/a',
      'mailto:team@example.org',
    ]);
    expect(links[0].textContent).toBe('02380 248725');
    expect(links[0].hasAttribute('target')).toBe(false);
    expect(links[1].getAttribute('target')).toBe('_blank');
    expect(links[1].getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('drops unsafe link targets but keeps the label as text', () => {
    const div = render('[click](javascript:alert%281%29) [x](data:text/html,hi) [y](vbscript:msgbox)');
    expect(div.querySelector('a')).toBeNull();
    expect(div.textContent).toBe('click x y');
    // Parentheses inside the target are not link syntax at all: literal text, no link.
    expect(render('[click](javascript:alert(1))').querySelector('a')).toBeNull();
  });

  it('never interprets HTML in bot text', () => {
    const div = render('<img src=x onerror=alert(1)> and <b>not bold</b> **<script>x</script>**');
    expect(div.querySelector('img, b, script')).toBeNull();
    expect(div.textContent).toBe('<img src=x onerror=alert(1)> and <b>not bold</b> <script>x</script>');
  });

  it('does not nest links inside link labels', () => {
    const div = render('[a [b](https://b.example) c](https://a.example)');
    expect(div.querySelectorAll('a a')).toHaveLength(0);
  });

  it('copes with empty and odd input', () => {
    expect(render('').childNodes).toHaveLength(0);
    expect(render(null).childNodes).toHaveLength(0);
    expect(render('** not bold').textContent).toBe('** not bold');
  });
});

describe('safeHref', () => {
  it.each([
    ['https://sciaticalm.example/a?b=1', true],
    ['http://localhost:8000/', true],
    ['tel:999', true],
    ['tel:+442380248725', true],
    ['mailto:a@b.example', true],
    ['javascript:alert(1)', false],
    ['JaVaScRiPt:alert(1)', false],
    [' javascript:alert(1)', false],
    ['java\tscript:alert(1)', false],
    ['data:text/html;base64,PHNjcmlwdD4=', false],
    ['tel:999;alert(1)', false],
    ['/relative/path', false],
    ['', false],
  ])('%s -> %s', (url, ok) => {
    expect(safeHref(url) !== null).toBe(ok);
  });
});
