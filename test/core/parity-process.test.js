'use strict';
// Parity of process-wide machinery (rejection/exception handlers, vm, diagnostics_channel, deep
// nesting, worker_threads, mixing with built-in storages): scenarios/process.js on both sides.
const path = require('node:path');
const { describeParity } = require('../support/parity.js');

describeParity('core parity: process', path.join(__dirname, 'scenarios', 'process.js'));
