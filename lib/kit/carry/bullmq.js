'use strict';
// ctxframe/bullmq. Owns: the BullMQ glue over ctxframe/jobs: add jobs carrying the current context
// (addJob, contextQueue wrapping add/addBulk) and run a Worker's processor inside the context
// of the job it processes (contextProcessor). Never requires bullmq itself: it works on the
// Queue/Job objects the application passes in.

const { injectContext, wrapProcessor } = require('./jobs.js');
const { invalidArgType } = require('../../errors.js');
const { validateOptions } = require('../../validators.js');

function checkQueue(queue, name = 'queue') {
  if (queue === null || typeof queue !== 'object' || typeof queue.add !== 'function') {
    throw invalidArgType(name, 'a BullMQ Queue (an object with add())', queue);
  }
}

// queue.add(name, data + _ctx, opts)
function addJob(queue, name, data, opts, options) {
  checkQueue(queue);
  return queue.add(name, injectContext(data, options), opts);
}

// queue.addBulk(jobs with _ctx added to each job's data)
function addBulkJobs(queue, jobs, options) {
  checkQueue(queue);
  if (typeof queue.addBulk !== 'function') {
    throw invalidArgType('queue', 'a BullMQ Queue (an object with addBulk())', queue);
  }
  if (!Array.isArray(jobs)) throw invalidArgType('jobs', 'an array', jobs);
  return queue.addBulk(jobs.map((job, i) => {
    if (job === null || typeof job !== 'object') throw invalidArgType(`jobs[${i}]`, 'an object', job);
    return { ...job, data: injectContext(job.data, options) };
  }));
}

// A view of `queue` whose add() and addBulk() inject the current context; everything else is
// the queue's own (methods bound to the queue, so private fields keep working).
function contextQueue(queue, options) {
  checkQueue(queue);
  injectContext({}, options); // validate options now, not at the first add()
  const bound = new Map();
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'add') return (name, data, opts) => addJob(target, name, data, opts, options);
      if (prop === 'addBulk') return (jobs) => addBulkJobs(target, jobs, options);
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      let fn = bound.get(prop);
      if (fn === undefined || fn.original !== value) {
        fn = value.bind(target);
        fn.original = value;
        bound.set(prop, fn);
      }
      return fn;
    },
  });
}

// For new Worker(name, contextProcessor(async (job, token) => ...), opts): the processor runs
// inside the context carried by job.data._ctx (see ctxframe/jobs for options and fallbacks).
function contextProcessor(fn, options) {
  if (typeof fn !== 'function') {
    throw invalidArgType('fn', 'of type function (sandboxed processor files are not supported)', fn);
  }
  return wrapProcessor(fn, {
    ...validateOptions('options', options, ['context', 'maxBytes', 'secret', 'strict']),
    getPayload: (job) => (job !== null && typeof job === 'object' ? job.data : undefined),
  });
}

module.exports = { addJob, addBulkJobs, contextQueue, contextProcessor };
