/**
 * Device health: `GET /api/devices` every 10 s (online, round trip, the link's counters) and the
 * live `device/<id>/state` (state, since when, the lane). "Last seen" is the newer of the last
 * poll that found the device online and its last state message.
 */
import * as api from './api.js';
import { formatTime, siteNow } from './clock.js';
import { h } from './dom.js';
import { pick, t } from './i18n.js';

const POLL_MS = 10_000;
/** Counters worth a red number: the link's failures, not its traffic. */
const BAD_COUNTER = /error|fail|timeout|retr|offline|nak|crc|drop|refus/i;

export class DeviceHealth {
  /**
   * @param {HTMLElement} body the table body
   * @param {{ lanes: Map<string, { name: {zh: string, en: string} }>, onError: (e: Error) => void }} options
   */
  constructor(body, options) {
    this.body = body;
    this.options = options;
    /** deviceId → { id, online?, state?, lane?, at?, seenAt?, roundTripMs?, counters? } */
    this.devices = new Map();
    this.timer = undefined;
    this.stopped = false;
    this.render();
  }

  start() {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async poll() {
    try {
      const { devices } = await api.get('/api/devices');
      if (this.stopped) return;
      const now = siteNow();
      for (const d of devices) {
        const device = this.entry(d.deviceId);
        device.online = d.online;
        device.roundTripMs = d.roundTripMs;
        device.counters = d.counters;
        if (d.online) device.seenAt = now;
      }
      this.render();
    } catch (error) {
      if (!this.stopped) this.options.onError(error);
    }
  }

  /** A `device/<id>/state` payload. */
  state(payload) {
    if (typeof payload?.device !== 'string') return;
    const device = this.entry(payload.device);
    device.state = payload.state;
    device.lane = payload.lane;
    device.detail = payload.detail;
    if (payload.seq !== null) device.at = payload.at;
    if (payload.state === 'online' && payload.seq !== null)
      device.seenAt = Math.max(device.seenAt ?? 0, payload.at);
    this.render();
  }

  entry(id) {
    let device = this.devices.get(id);
    if (device === undefined) {
      device = { id };
      this.devices.set(id, device);
    }
    return device;
  }

  render() {
    const devices = [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
    if (devices.length === 0) {
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('devices.none'))));
      return;
    }
    this.body.replaceChildren(...devices.map((d) => this.row(d)));
  }

  row(device) {
    // The poll says whether the link answers now; a state message says why not.
    const state =
      device.online === true
        ? 'online'
        : device.online === false && device.state !== 'error'
          ? 'offline'
          : (device.state ?? 'unknown');
    const lane = device.lane ? this.options.lanes.get(device.lane) : undefined;
    const seen = Math.max(device.seenAt ?? 0, device.at ?? 0);
    const counters = Object.entries(device.counters ?? {});
    return h(
      'tr',
      { class: `device ${state}`, dataset: { device: device.id, state } },
      h('td', {}, h('div', {}, device.id), h('div', { class: 'muted small' }, lane ? pick(lane.name) : '')),
      h(
        'td',
        {},
        h('span', { class: `dot ${state}` }),
        t(`state.${state}`),
        device.detail && state !== 'online' ? h('div', { class: 'muted small' }, device.detail) : null,
      ),
      h(
        'td',
        {},
        seen > 0 ? formatTime(seen) : '—',
        device.roundTripMs !== undefined
          ? h('div', { class: 'muted small' }, `${Math.round(device.roundTripMs)} ms`)
          : null,
      ),
      h(
        'td',
        { class: 'counters' },
        counters.map(([name, value]) =>
          h(
            'span',
            { class: value > 0 && BAD_COUNTER.test(name) ? 'counter bad' : 'counter' },
            `${name} ${value}`,
          ),
        ),
      ),
    );
  }
}
