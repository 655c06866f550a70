'use strict';
// Owns: medians and paired ratios of repeated measurements.

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// { median, min, max, n } of a list of numbers (non-finite entries ignored), or null when empty.
function spread(values) {
  const v = values.filter(Number.isFinite);
  if (!v.length) return null;
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

// Ratio per repetition (a[i] / b[i], both from repetition i), then spread of those ratios.
function pairedRatio(a, b) {
  const ratios = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] !== 0) ratios.push(a[i] / b[i]);
  }
  return spread(ratios);
}

module.exports = { median, spread, pairedRatio };
