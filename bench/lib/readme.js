'use strict';
// Owns: writing a benchmark's table into README.md between its two marker comments
// (`<!-- bench:<name>:start -->` … `<!-- bench:<name>:end -->`), for bench:peers and
// bench:services. Only a complete run written to the benchmark's default place fills it.

const fs = require('node:fs');
const path = require('node:path');

const README = path.join(__dirname, '..', '..', 'README.md');

// Replaces what lies between the markers of `name` in `readme` (the repository's README.md) with
// `table`. Returns whether it did: not when `out` is not `home` (a run written elsewhere), or the
// file or its markers are missing.
function fillReadme(name, out, home, table, readme = README) {
  if (path.resolve(out) !== path.resolve(home) || !fs.existsSync(readme)) return false;
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const text = fs.readFileSync(readme, 'utf8');
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return false;
  fs.writeFileSync(readme, `${text.slice(0, a + start.length)}\n${table}\n${text.slice(b)}`);
  return true;
}

module.exports = { fillReadme };
