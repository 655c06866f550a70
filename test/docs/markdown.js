'use strict';
// Owns: reading the documentation as the docs test sees it — fenced code blocks (with their info
// string and declared prelude), links, and the anchors GitHub gives headings.

const fs = require('node:fs');
const path = require('node:path');

// The documentation the tests cover, relative to the repository root.
function docFiles(root) {
  const docs = fs.readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

// Fenced blocks: { file, line (1-based, of the opening fence), info, code, prelude }.
// A prelude is declared by an HTML comment `<!-- prelude: name -->` on the last non-blank line
// before the opening fence.
function fencedBlocks(file, text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, rest] = open;
    const info = rest.trim();
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`).exec(lines[j]);
      if (close) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const declared = k >= 0 ? /^<!--\s*prelude:\s*(\S+)\s*-->$/.exec(lines[k].trim()) : null;
    blocks.push({ file, line: i + 1, info, code: body.join('\n') + '\n', prelude: declared ? declared[1] : null, closed: j < lines.length });
    i = j;
  }
  return blocks;
}

// The text outside fenced blocks and inline code spans, line numbers kept.
function proseOnly(text) {
  const lines = text.split('\n');
  let fence = null;
  return lines.map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^ {0,3}[`~]+\s*$/.test(line)) fence = null;
      return '';
    }
    if (m) { fence = m[1]; return ''; }
    return line.replace(/(`+)[\s\S]*?\1/g, '');
  }).join('\n');
}

// Links: markdown inline links and images, reference definitions, HTML href/src.
function links(file, text) {
  const out = [];
  const prose = proseOnly(text).split('\n');
  prose.forEach((line, i) => {
    const add = (target) => out.push({ file, line: i + 1, target: target.trim().replace(/^<|>$/g, '') });
    // [text](target "title") and ![alt](target); the text may hold brackets one level deep.
    for (const m of line.matchAll(/!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) add(m[1]);
    const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (def) add(def[1]);
    for (const m of line.matchAll(/\b(?:href|src)\s*=\s*"([^"]+)"/g)) add(m[1]);
  });
  return out;
}

// GitHub's heading anchors: lower case, punctuation other than '-' and '_' removed, spaces to '-',
// repeats numbered -1, -2, ….
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const line of proseOnlyKeepCode(text).split('\n')) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const visible = m[1]
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')   // links and images: their text
      .replace(/<[^>]+>/g, '')                     // inline HTML
      .replace(/[`*]/g, '')                        // code and emphasis markers
      .replace(/(^|\s)_+|_+(\s|$)/g, '$1$2');
    let slug = visible.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    const n = seen.get(slug) || 0;
    seen.set(slug, n + 1);
    if (n) slug = `${slug}-${n}`;
    out.add(slug);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]);
  return out;
}

// Headings may contain inline code, so only fenced blocks are blanked for anchors.
function proseOnlyKeepCode(text) {
  let fence = null;
  return text.split('\n').map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = null;
      return '';
    }
    if (m) { fence = m[1]; return ''; }
    return line;
  }).join('\n');
}

module.exports = { docFiles, fencedBlocks, links, anchors };
