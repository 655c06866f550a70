'use strict';
// Owns: capturing call stacks cheaply (V8 keeps them unformatted until read) and turning them
// into frames doctor can judge: where a frame lives (Node itself, ctxframe, a dependency under
// node_modules, or the application) and where its function was defined.

const path = require('node:path');
const { fileURLToPath } = require('node:url');

const PACKAGE_LIB = path.resolve(__dirname, '..') + path.sep;
const CWD = process.cwd() + path.sep;

let depth = 24;

function setDepth(n) { depth = n; }

// Captures the stack above `skip` (a function on the stack); formatting is deferred.
function capture(skip, frames = depth) {
  const holder = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = frames;
  Error.captureStackTrace(holder, skip);
  Error.stackTraceLimit = limit;
  return holder;
}

function keepCallSites(_, callSites) { return callSites; }

function fileOf(callSite) {
  let file = callSite.getFileName() || callSite.getScriptNameOrSourceURL() || '';
  if (file.startsWith('file://')) {
    try { file = fileURLToPath(file); } catch { /* keep the URL */ }
  }
  return file;
}

function originOf(file) {
  if (!file || file.startsWith('node:') || !path.isAbsolute(file)) return 'node';
  if (file.startsWith(PACKAGE_LIB)) return 'ctxframe';
  if (file.includes(`${path.sep}node_modules${path.sep}`)) return 'dependency';
  return 'app';
}

function toFrame(callSite) {
  const file = fileOf(callSite);
  const fn = callSite.getFunctionName() || callSite.getMethodName() || '';
  const frame = {
    file,
    line: callSite.getLineNumber() || 0,
    column: callSite.getColumnNumber() || 0,
    fn,
    method: callSite.getMethodName() || '',
    origin: originOf(file),
    // Where the running function was defined: for an inline callback that is the line that
    // handed it over (`pool.query(sql, (err, res) => ...)`).
    defLine: 0,
    defColumn: 0,
  };
  if (typeof callSite.getEnclosingLineNumber === 'function') {
    frame.defLine = callSite.getEnclosingLineNumber() || 0;
    frame.defColumn = callSite.getEnclosingColumnNumber() || 0;
  }
  return frame;
}

// The frames of a captured holder (formats it once; the app's prepareStackTrace is left alone).
function framesOf(holder) {
  if (holder === undefined || holder === null) return [];
  if (holder.frames !== undefined) return holder.frames;
  const saved = Error.prepareStackTrace;
  let callSites;
  try {
    Error.prepareStackTrace = keepCallSites;
    callSites = holder.stack;
  } finally {
    Error.prepareStackTrace = saved;
  }
  const frames = Array.isArray(callSites) ? callSites.map(toFrame) : [];
  holder.frames = frames;
  return frames;
}

function displayFile(file) {
  return file.startsWith(CWD) ? file.slice(CWD.length) : file;
}

function where(frame, useDefinition) {
  if (!frame) return null;
  const line = useDefinition && frame.defLine ? frame.defLine : frame.line;
  const column = useDefinition && frame.defLine ? frame.defColumn : frame.column;
  return { site: `${displayFile(frame.file)}:${line}`, file: frame.file, line, column, fn: frame.fn || null };
}

// The frame a user would look at: the first application frame, else the first dependency frame.
function firstUserFrame(frames) {
  let dependency = null;
  for (const frame of frames) {
    if (frame.origin === 'app') return frame;
    if (frame.origin === 'dependency' && dependency === null) dependency = frame;
  }
  return dependency;
}

function describeFrames(frames, n = 8) {
  const out = [];
  for (const frame of frames) {
    if (frame.origin === 'node' || frame.origin === 'ctxframe') continue;
    out.push(`${frame.fn ? `${frame.fn} ` : ''}${displayFile(frame.file)}:${frame.line}:${frame.column}`);
    if (out.length === n) break;
  }
  return out;
}

module.exports = { capture, framesOf, firstUserFrame, where, describeFrames, displayFile, setDepth };
