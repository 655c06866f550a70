'use strict';
// Owns: two internals of ctxframe/gate — a FIFO queue with O(1) removal from the middle (a
// task that is aborted or times out while waiting leaves at once), and one shared
// 'abort' listener per AbortSignal however many waiting operations watch it (so a
// long-lived signal shared by thousands of tasks neither triggers
// MaxListenersExceededWarning nor keeps listeners after they settle).

class LinkedQueue {
  #head = null;
  #tail = null;
  #length = 0;

  get length() { return this.#length; }

  push(node) {
    node.queuePrev = this.#tail;
    node.queueNext = null;
    node.inQueue = true;
    if (this.#tail) this.#tail.queueNext = node;
    else this.#head = node;
    this.#tail = node;
    this.#length++;
  }

  shift() {
    const node = this.#head;
    if (node) this.remove(node);
    return node;
  }

  // Returns false when the node was not queued.
  remove(node) {
    if (!node.inQueue) return false;
    if (node.queuePrev) node.queuePrev.queueNext = node.queueNext;
    else this.#head = node.queueNext;
    if (node.queueNext) node.queueNext.queuePrev = node.queuePrev;
    else this.#tail = node.queuePrev;
    node.queuePrev = null;
    node.queueNext = null;
    node.inQueue = false;
    this.#length--;
    return true;
  }
}

// signal -> { entries: Set of { onAbort(reason) }, listener }
const watched = new Map();

function fire(signal) {
  const record = watched.get(signal);
  if (!record) return;
  watched.delete(signal);
  signal.removeEventListener('abort', record.listener);
  for (const entry of record.entries) entry.onAbort(signal.reason);
}

// Calls entry.onAbort(signal.reason) once when `signal` aborts, unless unwatched first.
function watchAbort(signal, entry) {
  let record = watched.get(signal);
  if (!record) {
    record = { entries: new Set(), listener: () => fire(signal) };
    watched.set(signal, record);
    signal.addEventListener('abort', record.listener, { once: true });
  }
  record.entries.add(entry);
}

function unwatchAbort(signal, entry) {
  const record = watched.get(signal);
  if (!record || !record.entries.delete(entry)) return;
  if (record.entries.size === 0) {
    watched.delete(signal);
    signal.removeEventListener('abort', record.listener);
  }
}

module.exports = { LinkedQueue, watchAbort, unwatchAbort };
