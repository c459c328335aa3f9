"""Measuring staff pages in a real browser: what a person would call squeezed or cut."""

from __future__ import annotations

# Text nodes under ``selector`` that wrap badly: fewer than four characters per line on
# average, or a line holding a single character of a longer text (「デ/モ/市」, 「登録ペー/ジ」).
BAD_WRAPS_JS = """
(selector) => {
  const bad = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data.trim();
      if ([...text].length < 2) continue;
      const range = document.createRange();
      const tops = [];
      for (let i = 0; i < node.length; i++) {
        if (/\\s/.test(node.data[i])) continue;
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getBoundingClientRect();
        if (rect.height) tops.push([rect.top, rect.height]);
      }
      const lines = [];
      for (const [top, height] of tops) {
        const line = lines.find((l) => Math.abs(l.top - top) < height / 2);
        if (line) line.count += 1; else lines.push({ top, count: 1 });
      }
      if (lines.length < 2) continue;
      const perLine = tops.length / lines.length;
      if (perLine < 4 || lines.some((l) => l.count === 1)) {
        bad.push(`${text} (${lines.map((l) => l.count).join("/")})`);
      }
    }
  }
  return bad;
}
"""

# Elements under ``selector`` whose content is cut or scrolls sideways.
OVERFLOWING_JS = """
(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => `${el.id || el.className}: ${el.scrollWidth} > ${el.clientWidth}`)
"""

# Content-Security-Policy violations, recorded from the page's first script on.
RECORD_CSP_VIOLATIONS_JS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI || "inline"} ${e.sourceFile}:${e.lineNumber}`);
});
"""
