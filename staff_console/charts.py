"""Server-side SVG charts (no JavaScript, no external assets).

Returns markup built only from numbers and escaped labels, so it can be
inserted with |safe in templates.
"""

from __future__ import annotations

from markupsafe import Markup, escape


def bar_chart(series: list[tuple[str, list[float]]], labels: list[str], *,
              width: int = 720, height: int = 200, title: str = "") -> Markup:
    """Grouped vertical bars: `series` is [(name, values per label)]."""
    n = max(1, len(labels))
    top = max([v for _, vals in series for v in vals] + [1])
    pad_l, pad_b, pad_t = 36, 28, 10
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / max(1, len(series)))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for frac in (0, 0.5, 1):
        y = pad_t + plot_h * (1 - frac)
        parts.append(f'<line x1="{pad_l}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
                     'class="grid"/>')
        parts.append(f'<text x="{pad_l - 4}" y="{y + 4:.1f}" text-anchor="end" '
                     f'class="axis">{top * frac:.0f}</text>')
    for si, (name, values) in enumerate(series):
        for i, v in enumerate(values):
            h = plot_h * v / top
            x = pad_l + i * slot + slot * 0.1 + si * bar_w
            y = pad_t + plot_h - h
            parts.append(f'<rect class="s{si}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}"><title>{escape(labels[i])} {escape(name)}: '
                         f"{v:g}</title></rect>")
    step = max(1, n // 10)
    for i in range(0, n, step):
        x = pad_l + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" '
                     f'class="axis">{escape(labels[i])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hbar_chart(items: list[tuple[str, float]], *, width: int = 720, title: str = "") -> Markup:
    """Horizontal bars with labels (top intents)."""
    row_h, label_w = 22, 190
    height = row_h * max(1, len(items)) + 8
    top = max([v for _, v in items] + [1])
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (label, v) in enumerate(items):
        y = 4 + i * row_h
        w = (width - label_w - 60) * v / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" '
                     f'class="axis">{escape(label)}</text>')
        parts.append(f'<rect class="s0" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
                     f'height="{row_h - 6}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" class="axis">{v:g}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
