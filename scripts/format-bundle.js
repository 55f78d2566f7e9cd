/*
 * @nncompress/format's built CommonJS files as one script for a web page, with a require that
 * resolves only the package's own relative imports: a Node built-in or any other import in
 * the browser entry fails the load, naming it (the package must stay browser-safe). The page
 * gets the package as `window.nncFormat`. Used by the browser test and the bench's Chromium
 * decode timings.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function formatBundle(repo = path.resolve(__dirname, '..')) {
  const dist = path.join(repo, 'packages/format/dist');
  const files = fs.readdirSync(dist, { recursive: true }).filter((f) => f.endsWith('.js'));
  const defs = files.map((f) => `${JSON.stringify(f.split(path.sep).join('/'))}: function (module, exports, require) {\n${fs.readFileSync(path.join(dist, f), 'utf8')}\n}`).join(',\n');
  return `(() => {
  const defs = {${defs}};
  const cache = {};
  const resolve = (from, spec) => {
    if (!spec.startsWith('.')) throw new Error('not browser-safe: ' + from + ' requires "' + spec + '"');
    const parts = from.split('/').slice(0, -1);
    for (const p of spec.split('/')) p === '..' ? parts.pop() : p !== '.' && parts.push(p);
    const id = parts.join('/');
    for (const c of [id, id + '.js', id + '/index.js']) if (defs[c]) return c;
    throw new Error('no module ' + spec + ' from ' + from);
  };
  const load = (id) => {
    if (!cache[id]) {
      cache[id] = { exports: {} };
      defs[id](cache[id], cache[id].exports, (spec) => load(resolve(id, spec)));
    }
    return cache[id].exports;
  };
  window.nncFormat = load('index.js');
})();`;
}

/** Debian's Chromium (or CHROMIUM_PATH), or undefined when it is not installed. */
function chromiumPath() {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && fs.existsSync(p));
}

module.exports = { formatBundle, chromiumPath };
