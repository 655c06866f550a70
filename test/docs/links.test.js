'use strict';
// Every link in README.md, docs/*.md, CHANGELOG.md and SECURITY.md resolves: a relative path to a file
// that exists and is in the packed package (what the package page links must be shipped), an #anchor
// to a heading of the target (GitHub's heading ids). External http(s) links are counted, not fetched.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { docFiles, links, anchors } = require('./markdown');
const { installedPackage, ROOT } = require('../support/packed');

const files = docFiles(ROOT);

describe('docs: links', function () {
  this.timeout(120000);
  const linkFiles = [...files, 'CHANGELOG.md', 'SECURITY.md'].filter((f) => fs.existsSync(path.join(ROOT, f)));

  it('every relative link and #anchor resolves to a shipped file and heading', () => {
    const shipped = new Set(installedPackage().files);
    const anchorCache = new Map();
    const anchorsOf = (file) => {
      if (!anchorCache.has(file)) anchorCache.set(file, anchors(fs.readFileSync(file, 'utf8')));
      return anchorCache.get(file);
    };
    const problems = [];
    let checked = 0;
    let external = 0;
    for (const file of linkFiles) {
      for (const link of links(file, fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        const where = `${link.file}:${link.line} (${link.target})`;
        if (/^(https?:|mailto:)/i.test(link.target)) { external++; continue; }
        checked++;
        if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) { problems.push(`${where}: not a relative or http(s) link`); continue; }
        const [rawPath, anchor] = link.target.split('#');
        const target = rawPath ? path.resolve(ROOT, path.dirname(file), decodeURIComponent(rawPath)) : path.join(ROOT, file);
        const rel = path.relative(ROOT, target);
        if (rel.startsWith('..') || path.isAbsolute(rel)) { problems.push(`${where}: points outside the package`); continue; }
        if (!fs.existsSync(target)) { problems.push(`${where}: ${rel} does not exist`); continue; }
        const isDir = fs.statSync(target).isDirectory();
        const inPackage = isDir ? [...shipped].some((f) => f.startsWith(`${rel}/`)) : shipped.has(rel);
        if (!inPackage) problems.push(`${where}: ${rel} is not in the package (package.json "files")`);
        if (anchor !== undefined) {
          if (!/\.md$/.test(target) || isDir) problems.push(`${where}: an anchor into a file that is not markdown`);
          else if (!anchorsOf(target).has(decodeURIComponent(anchor))) problems.push(`${where}: no heading #${anchor} in ${rel}`);
        }
      }
    }
    console.log(`      links: ${checked} relative links and anchors checked, ${external} external (not fetched)`);
    assert.ok(checked > 0, 'no relative link found: is the extraction broken?');
    assert.deepEqual(problems, []);
  });
});
