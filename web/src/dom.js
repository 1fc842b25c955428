// Tiny DOM builder: attributes and text only, never HTML strings.

export function el(doc, tag, attrs = {}, children = []) {
  const node = doc.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.appendChild(typeof child === 'string' ? doc.createTextNode(child) : child);
    }
  }
  return node;
}
