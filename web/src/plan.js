// "Keep my plan": the plan the assistant sent after the assessment as a printable HTML
// page, opened for printing or downloaded. The page is built as DOM nodes and then
// serialised, so any text in it (the visitor's answers too) is escaped; it has no script.

import { el } from './dom.js';
import { renderMarkdown } from './markdown.js';

const PAGE_CSS = `body{font-family:system-ui,Arial,sans-serif;line-height:1.5;color:#1a1a1a;
max-width:42rem;margin:2rem auto;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;
margin-top:1.8rem;border-bottom:1px solid #8a9099}dt{font-weight:600;margin-top:.6rem}
dd{margin-left:1rem}a{color:#1d4f91}.note{border:2px solid #1a1a1a;padding:.6rem 1rem}
@media print{body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}`;

const str = (v) => (typeof v === 'string' ? v : '');

/** The plan payload's fields, checked (anything else is dropped). */
export function cleanPlan(custom) {
  const sections = Array.isArray(custom?.sections) ? custom.sections.map(str).filter((s) => s.trim()) : [];
  const answers = Array.isArray(custom?.answers)
    ? custom.answers
      .filter((a) => a && str(a.answer).trim())
      .map((a) => ({ question: str(a.question), answer: str(a.answer) }))
    : [];
  const helpline = custom?.helpline ?? {};
  const tel = str(helpline.tel).replace(/\s+/g, '');
  return {
    sections,
    answers,
    disclaimer: str(custom?.disclaimer),
    contact: str(custom?.contact),
    helpline: /^\+?[0-9]{2,20}$/.test(tel) ? { display: str(helpline.display) || tel, tel } : null,
  };
}

/** The printable page as a complete HTML document (a string). */
export function planPage(doc, plan, texts, date = new Date()) {
  const page = doc.implementation.createHTMLDocument(texts.title);
  page.documentElement.setAttribute('lang', 'en');
  const meta = page.createElement('meta');
  meta.setAttribute('charset', 'utf-8');
  page.head.prepend(meta);
  page.head.appendChild(el(page, 'style', { text: PAGE_CSS }));
  const saved = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' });
  const main = el(page, 'main', {}, [
    el(page, 'h1', { text: texts.title }),
    el(page, 'p', { text: `${texts.savedOn} ${saved}` }),
    el(page, 'h2', { text: texts.planHeading }),
    ...plan.sections.map((s) => renderMarkdown(s, page)),
  ]);
  if (plan.answers.length) {
    main.append(
      el(page, 'h2', { text: texts.answersHeading }),
      el(page, 'dl', {}, plan.answers.flatMap((a) => [
        el(page, 'dt', { text: a.question }), el(page, 'dd', { text: a.answer }),
      ])),
    );
  }
  if (plan.disclaimer) {
    main.append(el(page, 'h2', { text: texts.disclaimerHeading }),
      el(page, 'p', { class: 'note', text: plan.disclaimer }));
  }
  main.append(el(page, 'h2', { text: texts.helpHeading }));
  if (plan.contact) main.append(renderMarkdown(plan.contact, page));
  if (plan.helpline) {
    main.append(el(page, 'p', {}, [
      `${texts.helpLabel} `,
      el(page, 'a', { href: `tel:${plan.helpline.tel}`, text: plan.helpline.display }),
    ]));
  }
  page.body.appendChild(main);
  return `<!DOCTYPE html>\n${page.documentElement.outerHTML}`;
}

/** The box under the plan with its two buttons (they act through the view's handlers). */
export function planBox(doc, entry, texts) {
  return el(doc, 'div', { class: 'scw-plan', role: 'group', 'aria-label': texts.keep }, [
    el(doc, 'p', { class: 'scw-plan-title', text: texts.ready }),
    el(doc, 'button', { type: 'button', class: 'scw-plan-btn', 'data-plan': 'open', 'data-entry': entry.id, text: texts.open }),
    el(doc, 'button', { type: 'button', class: 'scw-plan-btn', 'data-plan': 'download', 'data-entry': entry.id, text: texts.download }),
  ]);
}

/** Opens the page in a new tab (to print from there) or downloads it as a file. */
export function keepPlan(win, html, how, fileName) {
  const url = win.URL.createObjectURL(new win.Blob([html], { type: 'text/html;charset=utf-8' }));
  if (how === 'open') {
    win.open(url, '_blank');
  } else {
    const link = win.document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.hidden = true;
    win.document.body.appendChild(link);
    link.click();
    link.remove();
  }
  win.setTimeout(() => win.URL.revokeObjectURL(url), 60000);
}
