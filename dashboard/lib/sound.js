/**
 * The alarm sound: a two-tone beep made with WebAudio (no audio file), repeated every 2 s while
 * `set(true)`. Browsers start audio only after a user gesture: the context is made at the login
 * click and resumed at any later click. `document.body.dataset.alarmSound` says whether it
 * sounds (`on` / `off`), for the operator's eye and for tests.
 */
const REPEAT_MS = 2000;
let context;
let timer;

export function unlockAudio() {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume();
  } catch {
    context = undefined; // no audio device: the red list still shows the alarm
  }
}

export function setAlarmSound(on) {
  document.body.dataset.alarmSound = on ? 'on' : 'off';
  if (on && timer === undefined) {
    beep();
    timer = setInterval(beep, REPEAT_MS);
  } else if (!on && timer !== undefined) {
    clearInterval(timer);
    timer = undefined;
  }
}

function beep() {
  if (context === undefined || context.state !== 'running') return;
  const start = context.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.25, 660],
  ]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'square';
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.2);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + 0.22);
  }
}
