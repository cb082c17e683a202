/**
 * The operators' dashboard: log in, then the site's lanes, live feed, temperatures, alarms,
 * devices and occupancy, fed by the admin API (docs/api.md) and its live socket (the local live
 * tree of docs/mqtt.md). Everything the page shows comes from the gateway it is served by;
 * nothing is fetched from anywhere else.
 *
 * The dialogs and their buttons are wired once per page; everything else is built at each login
 * (`session`) and stopped at logout or when the API says the session is over (any 401, or the
 * live socket's 4401).
 */
import { EmergencyOpen, ModeSwitch } from './lib/actions.js';
import { AlarmList } from './lib/alarms.js';
import * as api from './lib/api.js';
import { TemperatureCharts } from './lib/chart.js';
import { observe, setTimeZone } from './lib/clock.js';
import { DeviceHealth } from './lib/devices.js';
import { byId } from './lib/dom.js';
import { DutyPanel } from './lib/duty.js';
import { LiveFeed } from './lib/feed.js';
import { liveConnected, renderHeader, setFire, setLiveStatus, toast } from './lib/header.js';
import { applyStatic, language, onLanguage, setLabels, setLanguage, t } from './lib/i18n.js';
import { LiveConnection } from './lib/live.js';
import { Occupancy } from './lib/occupancy.js';
import { ShiftReport } from './lib/report.js';
import { setAlarmSound, unlockAudio } from './lib/sound.js';
import { LaneTiles } from './lib/tiles.js';
import { VisitorForm } from './lib/visitors.js';

/** Roles that may act (docs/api.md); a technician watches. */
const DUTY = ['operator', 'admin'];
/** The shift, the stale-data and the journal-outage banners follow the site (`GET /api/site`). */
const SITE_POLL_MS = 15_000;

/** The running session's parts; undefined while logged out. */
let running;
let actions;

function boot() {
  applyStatic(document);
  for (const button of document.querySelectorAll('.lang-toggle'))
    button.addEventListener('click', () => setLanguage(language() === 'zh' ? 'en' : 'zh'));
  document.addEventListener('click', unlockAudio);
  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void logIn();
  });
  byId('logout').addEventListener('click', () => void api.logout().finally(() => endSession('')));
  actions = {
    emergency: new EmergencyOpen({ onDone: toast }),
    mode: new ModeSwitch({ buttons: byId('mode-buttons'), badge: byId('mode-now'), onDone: toast }),
    visitors: new VisitorForm(),
    report: new ShiftReport(),
  };
  byId('visitor-button').addEventListener('click', () => actions.visitors.open());
  byId('report-button').addEventListener('click', () => void actions.report.open());
  api.onUnauthorized(() => endSession(t('login.ended')));
  onLanguage(() => running?.rerender());
  if (api.token()) void start();
  else showLogin('');
}

function showLogin(message) {
  document.body.dataset.view = 'login';
  byId('app').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  byId('login-user').focus();
}

async function logIn() {
  unlockAudio();
  const password = byId('login-password');
  try {
    await api.login(byId('login-user').value.trim(), password.value);
    password.value = '';
    await start();
  } catch (error) {
    byId('login-error').textContent = error instanceof api.ApiError ? error.message : t('login.failed');
  }
}

async function start() {
  let me;
  let labels;
  let site;
  try {
    [me, labels, site] = await Promise.all([
      api.get('/api/session'),
      api.get('/api/labels'),
      api.get('/api/site'),
    ]);
  } catch (error) {
    // A 401 has already gone back to the form (onUnauthorized).
    if (error.status !== 401) showLogin(error instanceof api.ApiError ? error.message : t('login.failed'));
    return;
  }
  setLabels(labels);
  setTimeZone(site.timezone);
  running = session(me, site);
  byId('login').hidden = true;
  byId('app').hidden = false;
  document.body.dataset.view = 'app';
  document.body.dataset.role = me.role;
}

/** Builds the main screen for one login; returns what a logout or a language switch needs. */
function session(me, site) {
  const canAct = DUTY.includes(me.role);
  for (const element of document.querySelectorAll('[data-roles]'))
    element.hidden = !element.dataset.roles.split(' ').includes(me.role);
  const lanes = site.gates.flatMap((gate) => gate.lanes.map((lane) => ({ ...lane, gate: gate.id })));
  const laneMap = new Map(lanes.map((lane) => [lane.id, lane]));
  const onError = (error) => {
    if (error?.status !== 401) toast(error?.message ?? t('error.generic'), true);
  };
  const header = { site, today: undefined };
  const parts = {
    tiles: new LaneTiles(byId('tiles'), { lanes, canAct, onOpen: (lane) => actions.emergency.ask(lane) }),
    feed: new LiveFeed(
      {
        list: byId('feed'),
        lane: byId('feed-lane'),
        outcome: byId('feed-outcome'),
        reason: byId('feed-reason'),
      },
      lanes,
    ),
    charts: new TemperatureCharts(byId('charts'), { lanes, feverThresholdC: site.feverThresholdC ?? 37.3 }),
    alarms: new AlarmList(byId('alarms'), { lanes: laneMap, canAck: canAct, onError }),
    devices: new DeviceHealth(byId('devices'), { lanes: laneMap, onError }),
    occupancy: canAct ? new Occupancy(byId('occupancy'), { onError }) : undefined,
    duty: new DutyPanel({ user: me.user, canAct, onDone: toast, onError }),
    mode: actions.mode,
    setToday(today) {
      header.today = today;
      renderHeader(me, header.site, today);
    },
  };
  actions.mode.reset(site.mode, canAct);
  setFire(site.fire);
  renderHeader(me, site, undefined);
  setLiveStatus(false, true);

  const live = new LiveConnection({
    token: api.token,
    siteId: site.id,
    onReady: () => {
      void parts.alarms.refresh();
      void loadRecent(parts, onError);
    },
    onStatus: setLiveStatus,
    onUnauthorized: () => endSession(t('login.ended')),
    onMessage: (topic, payload) => route(parts, topic, payload),
  });
  void parts.alarms.refresh();
  parts.devices.start();
  parts.occupancy?.start();
  parts.duty.start();
  live.start();
  const sitePoll = setInterval(async () => {
    try {
      header.site = await api.get('/api/site');
      renderHeader(me, header.site, header.today);
    } catch (error) {
      onError(error);
    }
  }, SITE_POLL_MS);

  return {
    rerender() {
      renderHeader(me, header.site, header.today);
      setLiveStatus(liveConnected());
      parts.tiles.build();
      parts.feed.build();
      parts.charts.build();
      parts.alarms.render();
      parts.devices.render();
      parts.occupancy?.render();
      parts.duty.render();
      parts.mode.render();
    },
    stop() {
      live.stop();
      parts.charts.stop();
      parts.alarms.stop();
      parts.devices.stop();
      parts.occupancy?.stop();
      parts.duty.stop();
      clearInterval(sitePoll);
      setAlarmSound(false);
    },
  };
}

/**
 * The last half hour of passes, refusals and readings, as live messages: at every (re)connect,
 * so the feed and charts are not empty after opening the page or losing the connection. Parts
 * drop what they already have (by seq).
 */
async function loadRecent(parts, onError) {
  try {
    const { messages } = await api.get('/api/recent?minutes=30');
    for (const { topic, payload } of messages) route(parts, topic, payload);
  } catch (error) {
    onError(error);
  }
}

/** One message of the live tree (its topic below `<root>/<site>/`) to the parts that show it. */
function route(parts, topic, payload) {
  if (typeof payload?.at === 'number') observe(payload.at);
  const [kind, ...rest] = topic.split('/');
  switch (kind) {
    case 'pass':
    case 'refusal':
      parts.feed.add(payload);
      parts.tiles.decision(payload);
      parts.occupancy?.refreshSoon();
      break;
    case 'temperature':
      parts.charts.add(payload);
      break;
    case 'alarm':
      if (rest[0] === 'ack') parts.alarms.acknowledged(payload);
      else parts.alarms.raised(payload);
      if (payload?.detail?.household !== undefined) parts.alarms.refreshSoon();
      parts.duty.refreshSoon();
      break;
    case 'device':
      if (rest[1] === 'state') parts.devices.state(payload);
      break;
    case 'gate':
      if (rest[2] === 'state') parts.tiles.gateState(payload);
      break;
    case 'mode':
      parts.mode.set(payload.mode);
      break;
    case 'fire':
      setFire(payload.active);
      break;
    case 'counters':
      parts.setToday(payload);
      break;
  }
}

function endSession(message) {
  running?.stop();
  running = undefined;
  api.forget();
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  showLogin(message);
}

boot();
