// Reads the embedding options from the widget's own <script> tag:
//   <script src=".../widget.js" data-server="http://localhost:5005" defer
//           data-title="..." data-color="#1d4f91" data-start-open="true"
//           data-socket-path="/socket.io"></script>
// data-token-url="/chat-token" (optional): where the widget fetches a JWT before
// each connection, for a server that requires socket.io JWT authentication
// (SCIATICALM_SOCKETIO_JWT_KEY); the URL must answer {"token": "<jwt>"}.

export const DEFAULTS = Object.freeze({
  server: 'http://localhost:5005',
  socketPath: '/socket.io',
  title: 'Sciaticalm assistant',
  color: '#1d4f91',
  startOpen: false,
  tokenUrl: null,
});

function truthy(value) {
  return value !== null && value !== undefined && !/^(false|0|no|off)$/i.test(value.trim());
}

/** The script element that loaded the widget (classic or deferred script). */
export function findScript(doc = document) {
  const current = doc.currentScript;
  if (current && current.dataset && 'server' in current.dataset) return current;
  return doc.querySelector('script[data-server][src*="widget"]') ?? doc.querySelector('script[data-server]') ?? current;
}

export function readConfig(script) {
  const data = script?.dataset ?? {};
  const server = (data.server || DEFAULTS.server).trim().replace(/\/+$/, '');
  return {
    server,
    socketPath: data.socketPath?.trim() || DEFAULTS.socketPath,
    title: data.title?.trim() || DEFAULTS.title,
    color: data.color?.trim() || DEFAULTS.color,
    startOpen: data.startOpen !== undefined ? truthy(data.startOpen) : DEFAULTS.startOpen,
    tokenUrl: data.tokenUrl?.trim() || DEFAULTS.tokenUrl,
  };
}
