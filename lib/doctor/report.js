'use strict';
// Owns: grouping what doctor found by site and kind, the JSON report, and the text summary
// printed on exit and on SIGUSR2.

const { kindInfo } = require('./kinds.js');

const SAMPLES = 5;

class Findings {
  constructor() {
    this.groups = new Map();
  }

  add(finding) {
    const key = `${finding.type}\0${finding.kind}\0${finding.site.site}\0${finding.context}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      const info = kindInfo(finding.kind, finding.library);
      group = {
        type: finding.type,
        kind: finding.kind,
        library: finding.library || null,
        site: finding.site.site,
        file: finding.site.file,
        line: finding.site.line,
        column: finding.site.column,
        context: finding.context,
        count: 0,
        apis: [],
        requestIds: [],
        otherRequestIds: [],
        boundary: info.title,
        why: info.why,
        fix: info.fix,
        docs: info.docs,
        example: {
          read: finding.read,
          callback: finding.callback,
          invokedBy: finding.invokedBy,
          resource: finding.resource,
          lastUse: finding.lastUse,
        },
      };
      this.groups.set(key, group);
    }
    group.count++;
    if (!group.apis.includes(finding.api)) group.apis.push(finding.api);
    // lost: the request that handed the work over (when known); leaked/conflated: the request
    // whose context was read, and the other request involved.
    const main = finding.type === 'lost' ? finding.usedBy : finding.requestId;
    const other = finding.type !== 'lost' && finding.usedBy !== undefined && finding.usedBy !== main ? finding.usedBy : null;
    if (main !== null && main !== undefined && group.requestIds.length < SAMPLES &&
        !group.requestIds.includes(main)) group.requestIds.push(main);
    if (other !== null && group.otherRequestIds.length < SAMPLES &&
        !group.otherRequestIds.includes(other)) group.otherRequestIds.push(other);
  }

  list() {
    return [...this.groups.values()].sort((a, b) => b.count - a.count || (a.site < b.site ? -1 : 1));
  }
}

const TYPE_TEXT = {
  lost: 'LOST',
  leaked: 'LEAKED',
  conflated: 'CONFLATED',
};

function describeWhere(w) {
  return w === null || w === undefined ? 'unknown' : w.site;
}

function format(report) {
  const lines = [];
  const n = report.findings.length;
  const seen = `${report.requests.started} request${report.requests.started === 1 ? '' : 's'} seen`;
  if (n === 0) {
    lines.push(`ctxframe doctor: no lost or leaked context (${seen}, backend ${report.backend})`);
    aside(lines, report);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`ctxframe doctor: ${n} site${n === 1 ? '' : 's'} where a context was lost or leaked ` +
    `(${seen}, backend ${report.backend})`);
  for (const f of report.findings) {
    const ex = f.example;
    lines.push('');
    lines.push(`${TYPE_TEXT[f.type]} ${f.context} at ${f.site}: ${f.boundary} (${f.kind}), ${f.count}×`);
    lines.push(`  read at      ${describeWhere(ex.read)} (${f.apis.join(', ')})`);
    if (ex.callback && ex.callback.site !== f.site) lines.push(`  callback     defined at ${ex.callback.site}`);
    if (ex.invokedBy) lines.push(`  called by    ${ex.invokedBy.site}`);
    if (ex.resource.type === null && ex.resource.asyncId === 0) {
      lines.push('  running in   no async resource (called from native code)');
    } else if (ex.resource.type === null) {
      // Work created inside a request is not recorded (it runs in that request).
      lines.push('  running in   async work created inside the request whose context was read');
    } else {
      const made = ex.resource.createdAt === null ? '' : ` created at ${ex.resource.createdAt.site}`;
      const inCtx = ex.resource.createdIn === null ? 'outside any request' : `in request ${ex.resource.createdIn}`;
      lines.push(`  running in   ${ex.resource.type}${ex.resource.interval ? ' (interval)' : ''}${made}, ${inCtx}`);
    }
    if (ex.lastUse) {
      lines.push(`  last used    at ${describeWhere(ex.lastUse.at)}${ex.lastUse.in === null ? '' : ` by request ${ex.lastUse.in}`}`);
    }
    if (f.type !== 'lost' && f.otherRequestIds.length > 0) {
      const ended = f.type === 'leaked' ? ' (ended)' : '';
      lines.push(`  requests     read ${f.requestIds.join(', ')}${ended}'s context in work of ${f.otherRequestIds.join(', ')}`);
    } else if (f.requestIds.length > 0) {
      lines.push(`  requests     ${f.requestIds.join(', ')}`);
    }
    lines.push(`  why          ${f.why}`);
    lines.push(`  fix          ${f.fix}`);
    lines.push(`  see          ${f.docs}`);
  }
  aside(lines, report);
  return `${lines.join('\n')}\n`;
}

// What is counted but not reported: a framework's own work before a request entered its
// context, and work marked as outside requests on purpose.
function aside(lines, report) {
  for (const b of report.beforeIngress || []) {
    lines.push(`  (not a finding) ${b.count}× read without a context by ${b.library || 'the framework'} ` +
      `before the request entered its context, at ${b.site} (${b.apis.join(', ')}); see ctxframe/docs/doctor.md#before-ingress`);
  }
  for (const m of report.marked || []) {
    lines.push(`  (marked)        ${m.count}× ${m.type} ${m.context} at ${m.site} (${m.kind}): outside requests on purpose`);
  }
}

module.exports = { Findings, format };
