/**
 * The live tree over the API's WebSocket (`/api/live`): the token as the first message, then
 * `ready`, the retained states and every message. Reconnects by itself after any close but a
 * refused token (4401: back to the login form), waiting 1 s, doubling to 15 s, back to 1 s once
 * a connection was ready again. `onStatus(connected)` drives the "reconnecting" banner.
 */
const CLOSE_UNAUTHENTICATED = 4401;
const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 15_000;

export class LiveConnection {
  /**
   * @param {{ token: () => string | null, siteId: string, onMessage: (topic: string, payload: unknown) => void,
   *   onReady: () => void, onStatus: (connected: boolean) => void, onUnauthorized: () => void }} options
   */
  constructor(options) {
    this.options = options;
    this.wait = FIRST_WAIT_MS;
    this.socket = undefined;
    this.timer = undefined;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'log out');
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/live`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token: this.options.token() ?? '' }));
    });
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data.type === 'ready') {
        this.wait = FIRST_WAIT_MS;
        this.options.onStatus(true);
        this.options.onReady();
      } else if (data.type === 'message' && typeof data.topic === 'string') {
        const relative = this.relative(data.topic);
        if (relative !== undefined) this.options.onMessage(relative, data.payload);
      }
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket || this.stopped) return;
      this.socket = undefined;
      if (event.code === CLOSE_UNAUTHENTICATED) {
        this.options.onUnauthorized();
        return;
      }
      this.options.onStatus(false);
      this.timer = setTimeout(() => this.connect(), this.wait);
      this.wait = Math.min(this.wait * 2, LONGEST_WAIT_MS);
    });
  }

  /** `<root>/<site>/rest` → `rest`; undefined for another site's or a foreign tree (discovery). */
  relative(topic) {
    const levels = topic.split('/');
    if (levels.length < 3 || levels[1] !== this.options.siteId) return undefined;
    return levels.slice(2).join('/');
  }
}
