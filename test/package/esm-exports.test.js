'use strict';
// What users get from the packed package: for every entry point in package.json `exports`, every key
// of its CommonJS module.exports can be imported by name from ESM (`import { GateTimeoutError } from
// 'ctxframe/gate'`), and is the same value. Node finds a CommonJS module's named exports by reading its
// source (cjs-module-lexer), so an export spelled as a property read is importable from CommonJS and
// a startup SyntaxError from ESM. The key lists come from require() itself, so they cannot go stale.
// Also: every entry point has types for each way TypeScript resolves it, and the files are shipped.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { installedPackage, entryPoints } = require('../support/packed');

describe('package: ESM named imports of every export of every entry point', function () {
  this.timeout(120000);
  let pkg;
  let keysBySpec;

  before(() => {
    pkg = installedPackage();
    const specs = entryPoints(pkg.manifest);
    const dump = `const out = {}; for (const s of ${JSON.stringify(specs)}) out[s] = Object.keys(require(s)); process.stdout.write(JSON.stringify(out));`;
    keysBySpec = JSON.parse(execFileSync(process.execPath, ['-e', dump], { cwd: pkg.app, env: pkg.env, encoding: 'utf8' }));
  });

  it('the packed package has entry points, each with exports', () => {
    const specs = Object.keys(keysBySpec);
    assert.ok(specs.length >= 2, `entry points: ${specs}`);
    for (const spec of specs) assert.ok(keysBySpec[spec].length > 0, `${spec} exports nothing`);
  });

  it('each entry point: `import { <every key> } from <entry>` links, and each is the CommonJS value', () => {
    const failures = [];
    for (const [spec, keys] of Object.entries(keysBySpec)) {
      const names = keys.map((k, i) => `${JSON.stringify(k)} as e${i}`).join(', ');
      const source = [
        `import { ${names} } from ${JSON.stringify(spec)};`,
        "import { createRequire } from 'node:module';",
        'const cjs = createRequire(import.meta.url)(' + JSON.stringify(spec) + ');',
        `const got = [${keys.map((_, i) => `e${i}`).join(', ')}];`,
        `const keys = ${JSON.stringify(keys)};`,
        // Node's rule: the default import of a CommonJS module is its module.exports (the ESM entries do the same).
        "const wrong = keys.filter((k, i) => got[i] !== (k === 'default' ? cjs : cjs[k]));",
        "if (wrong.length) { console.error('not the CommonJS value: ' + wrong.join(', ')); process.exit(1); }",
      ].join('\n');
      const file = path.join(pkg.app, `import-${spec.replace(/\W/g, '_')}.mjs`);
      fs.writeFileSync(file, source);
      const r = spawnSync(process.execPath, [file], { cwd: pkg.app, env: pkg.env, encoding: 'utf8' });
      if (r.status !== 0) failures.push(`${spec} (${keys.join(', ')}):\n${r.stderr.trim().split('\n').filter((l) => /Error/.test(l)).join('\n')}`);
    }
    if (failures.length) assert.fail(`${failures.length} entry point(s) fail from ESM:\n\n${failures.join('\n\n')}`);
  });

  it('each entry point has types for require, import and moduleResolution node10, all shipped', () => {
    const { manifest, files } = pkg;
    const shipped = new Set(files);
    const mapped = (manifest.typesVersions && manifest.typesVersions['*']) || {};
    const problems = [];
    for (const [key, target] of Object.entries(manifest.exports)) {
      if (key === './package.json') continue;
      const typesFor = (condition) => {
        const t = target[condition] && typeof target[condition] === 'object' ? target[condition] : target;
        return t.types;
      };
      for (const condition of ['require', 'import']) {
        const types = typesFor(condition);
        if (!types) problems.push(`${key}: no types for ${condition}`);
        else if (!shipped.has(types.replace(/^\.\//, ''))) problems.push(`${key}: ${types} not in the tarball`);
      }
      if (key === '.') {
        if (manifest.types !== typesFor('require')) problems.push(`"types" is ${manifest.types}, not ${typesFor('require')}`);
        continue;
      }
      const legacy = mapped[key.slice(2)];
      if (!legacy || legacy[0] !== typesFor('require').replace(/^\.\//, '')) {
        problems.push(`${key}: typesVersions maps it to ${legacy}, not ${typesFor('require')}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
