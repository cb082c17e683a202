/**
 * A temperature chart per pedestrian lane: the readings of the last 30 minutes (site time,
 * clock.js) from `temperature/…`, the fever line at the policy's threshold, and each point
 * marked by its re-measure mark: a dot for an ordinary reading, a hollow triangle for a high
 * reading that asked for a re-measure, a diamond for the re-measure, a small ring for a reading
 * taken during the wait (never used for a decision). Red at or above the threshold.
 */
import { siteNow } from './clock.js';
import { h } from './dom.js';
import { pick, t } from './i18n.js';

const WINDOW_MS = 30 * 60_000;
const COLORS = { ok: '#2e7d32', fever: '#c62828', grid: '#d0d5dc', text: '#56606b', wait: '#8a939c' };

export class TemperatureCharts {
  /**
   * @param {HTMLElement} container
   * @param {{ lanes: { id: string, name: {zh: string, en: string}, kind: string }[], feverThresholdC: number }} options
   */
  constructor(container, options) {
    this.container = container;
    this.threshold = options.feverThresholdC;
    this.lanes = options.lanes.filter((lane) => lane.kind === 'pedestrian');
    /** laneId → readings, oldest first */
    this.readings = new Map(this.lanes.map((lane) => [lane.id, []]));
    this.canvases = new Map();
    this.build();
    this.resize = new ResizeObserver(() => this.drawAll());
    this.resize.observe(container);
    this.timer = setInterval(() => this.drawAll(), 10_000);
  }

  stop() {
    this.resize.disconnect();
    clearInterval(this.timer);
  }

  /** A `temperature/…` payload. */
  add(payload) {
    const readings = this.readings.get(payload?.lane);
    if (readings === undefined || typeof payload.celsius !== 'number') return;
    if (readings.some((r) => r.seq === payload.seq)) return;
    readings.push(payload);
    readings.sort((a, b) => a.at - b.at);
    this.draw(payload.lane);
  }

  build() {
    this.container.replaceChildren();
    for (const lane of this.lanes) {
      const canvas = h('canvas', { class: 'chart', dataset: { lane: lane.id, points: 0 } });
      this.canvases.set(lane.id, canvas);
      this.container.append(
        h('figure', { class: 'chart-box' }, h('figcaption', {}, pick(lane.name)), canvas),
      );
    }
    this.drawAll();
  }

  drawAll() {
    for (const lane of this.lanes) this.draw(lane.id);
  }

  draw(laneId) {
    const canvas = this.canvases.get(laneId);
    const all = this.readings.get(laneId);
    if (canvas === undefined || all === undefined) return;
    const now = siteNow();
    while (all.length > 0 && all[0].at < now - WINDOW_MS) all.shift();
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    canvas.dataset.points = String(all.length);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    const w = width / ratio;
    const ht = height / ratio;
    g.clearRect(0, 0, w, ht);
    const temps = all.map((r) => r.celsius);
    const low = Math.floor(Math.min(35.5, ...temps) * 2) / 2;
    const high = Math.ceil(Math.max(this.threshold + 1, ...temps) * 2) / 2;
    const box = { left: 34, right: w - 6, top: 6, bottom: ht - 16 };
    const x = (at) => box.left + ((at - (now - WINDOW_MS)) / WINDOW_MS) * (box.right - box.left);
    const y = (c) => box.bottom - ((c - low) / (high - low)) * (box.bottom - box.top);
    g.font = '10px system-ui, sans-serif';
    g.lineWidth = 1;
    g.strokeStyle = COLORS.grid;
    g.fillStyle = COLORS.text;
    for (let c = Math.ceil(low); c <= high; c += 1) {
      line(g, box.left, y(c), box.right, y(c));
      g.fillText(`${c}°`, 4, y(c) + 3);
    }
    for (const minutes of [30, 20, 10, 0]) {
      const at = now - minutes * 60_000;
      g.fillText(minutes === 0 ? '0' : `-${minutes}′`, Math.min(x(at) - 6, box.right - 10), ht - 3);
    }
    g.strokeStyle = COLORS.fever;
    g.setLineDash([5, 4]);
    line(g, box.left, y(this.threshold), box.right, y(this.threshold));
    g.setLineDash([]);
    g.fillStyle = COLORS.fever;
    g.fillText(`${this.threshold}° ${t('chart.fever')}`, box.left + 4, y(this.threshold) - 3);
    for (const reading of all) mark(g, x(reading.at), y(reading.celsius), reading);
    if (all.length === 0) {
      g.fillStyle = COLORS.text;
      g.fillText(t('chart.empty'), (box.left + box.right) / 2 - 20, (box.top + box.bottom) / 2);
    }
  }
}

function line(g, x1, y1, x2, y2) {
  g.beginPath();
  g.moveTo(x1, y1);
  g.lineTo(x2, y2);
  g.stroke();
}

function mark(g, x, y, reading) {
  const color = reading.fever ? COLORS.fever : COLORS.ok;
  g.strokeStyle = color;
  g.fillStyle = color;
  g.lineWidth = 1.5;
  g.beginPath();
  switch (reading.remeasure) {
    case 'required':
      g.moveTo(x, y - 5);
      g.lineTo(x + 5, y + 4);
      g.lineTo(x - 5, y + 4);
      g.closePath();
      g.stroke();
      return;
    case 'taken':
      g.moveTo(x, y - 5);
      g.lineTo(x + 5, y);
      g.lineTo(x, y + 5);
      g.lineTo(x - 5, y);
      g.closePath();
      g.fill();
      return;
    case 'waiting':
      g.strokeStyle = COLORS.wait;
      g.arc(x, y, 3, 0, 2 * Math.PI);
      g.stroke();
      return;
    default:
      g.arc(x, y, 3, 0, 2 * Math.PI);
      g.fill();
  }
}
