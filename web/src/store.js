// Conversation state kept in the browser (sessionStorage by default), so the
// conversation survives reloads and navigation within the site.

export const MAX_ENTRIES = 300;
const VERSION = 1;

function emptyState() {
  return { v: VERSION, sessionId: null, open: false, seq: 0, entries: [], outbox: [] };
}

/** A Storage that never throws (private mode, disabled storage, quota). */
export function safeStorage(getStorage) {
  const memory = new Map();
  let backend = null;
  try {
    backend = getStorage();
    const probe = '__scw_probe__';
    backend.setItem(probe, '1');
    backend.removeItem(probe);
  } catch {
    backend = null;
  }
  return {
    persistent: backend !== null,
    getItem(key) {
      try {
        return backend ? backend.getItem(key) : (memory.get(key) ?? null);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    setItem(key, value) {
      memory.set(key, value);
      try {
        backend?.setItem(key, value);
      } catch {
        /* quota or disabled: the in-memory copy still works for this page */
      }
    },
    removeItem(key) {
      memory.delete(key);
      try {
        backend?.removeItem(key);
      } catch {
        /* ignore */
      }
    },
  };
}

/** One storage key per Rasa server, so two widgets for two servers never mix. */
export function storageKey(serverUrl) {
  return `sciaticalm-widget:${String(serverUrl).replace(/\/+$/, '')}`;
}

function isValid(state) {
  return (
    state &&
    state.v === VERSION &&
    Array.isArray(state.entries) &&
    Array.isArray(state.outbox) &&
    Number.isInteger(state.seq)
  );
}

export function createStore(storage, key) {
  let state = emptyState();
  try {
    const parsed = JSON.parse(storage.getItem(key) ?? 'null');
    if (isValid(parsed)) state = parsed;
  } catch {
    /* corrupt data: start fresh */
  }

  const save = () => {
    if (state.entries.length > MAX_ENTRIES) {
      state.entries = state.entries.slice(-MAX_ENTRIES);
    }
    storage.setItem(key, JSON.stringify(state));
  };

  return {
    get state() {
      return state;
    },
    nextId() {
      state.seq += 1;
      return `m${state.seq}`;
    },
    update(fn) {
      fn(state);
      save();
    },
    reset() {
      const open = state.open;
      state = emptyState();
      state.open = open;
      save();
    },
  };
}
