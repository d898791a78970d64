// gar studio's page. Every URL is relative: the page lives under /<token>/,
// so each request carries the session's token.
import { buildControls, fmt, pretty } from './controls.js';
import { drawWave, drawScore, drawSeq, drawUsage, hopAt, scoreIndexAt } from './views.js';

const $ = (id) => document.getElementById(id);
const S = {
  table: null, presets: [], sounds: [], sound: null, preset: 'custom', controls: null,
  seed: randomSeed(), locked: true, current: null, pending: null, timer: null, abort: null,
  which: 'b', hover: null, scoreGeom: null, renders: [], standbyGen: 0, keys: 0, scheduled: 0,
};
// For the browser test and for curious users: timings of change -> playable and drawn.
window.garStudio = { timings: [], renders: 0, state: S };

function randomSeed() {
  // Below 2^53, so that JavaScript numbers hold it exactly.
  const a = new Uint32Array(2);
  crypto.getRandomValues(a);
  return (a[0] % 0x1fffff) * 0x100000000 + a[1] + 1;
}

async function api(path, opts = {}) {
  const r = await fetch(path, opts);
  const ct = r.headers.get('Content-Type') || '';
  const body = ct.includes('json') ? await r.json() : await r.text();
  if (!r.ok) {
    const e = new Error(body.error || body || r.statusText);
    e.status = r.status; e.body = body;
    throw e;
  }
  return body;
}

function status(text, cls = '') {
  const s = $('status');
  s.textContent = '';
  const span = document.createElement('span');
  span.className = cls; span.textContent = text;
  s.append(span);
}

function message(text, cls) {
  const d = document.createElement('div');
  d.className = `msg ${cls}`; d.textContent = text;
  $('messages').append(d);
}

// ---- sounds -------------------------------------------------------------

function fillSounds(selectId) {
  const sel = $('sound');
  sel.textContent = '';
  for (const s of S.sounds) {
    const o = document.createElement('option');
    o.value = s.id;
    o.textContent = `${s.name} · ${s.duration_s.toFixed(1)} s · ${s.channels === 1 ? 'mono' : s.channels === 2 ? 'stereo' : s.channels + ' ch'} · ${(s.sample_rate / 1000).toFixed(1)} kHz`;
    sel.append(o);
  }
  if (selectId) sel.value = selectId;
}

async function selectSound(id) {
  const info = await api(`api/sounds/${id}`);
  S.sound = info;
  $('audio-a').src = `api/sounds/${id}/source.wav`;
  $('src-note').textContent = `${info.name} · ${info.duration_s.toFixed(2)} s · drawn at full height`;
  buildAll();
  drawAll();
  schedule(0);
}

async function upload(file) {
  if (S.limits && file.size > S.limits.max_upload_bytes) {
    message(`${file.name}: ${(file.size / 2 ** 20).toFixed(0)} MiB is larger than the studio's upload limit of ${(S.limits.max_upload_bytes / 2 ** 20).toFixed(0)} MiB; use gar render for it`, 'err');
    return;
  }
  status(`uploading ${file.name}…`, 'busy');
  try {
    const info = await api(`api/sounds?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' },
    });
    const st = await api('api/state');
    S.sounds = st.sounds;
    fillSounds(info.id);
    for (const r of info.replaced || []) message(`${r} was closed to make room (the studio holds ${st.limits.max_sounds} sounds)`, 'adj');
    await selectSound(info.id);
  } catch (e) {
    status('upload refused', 'err');
    message(e.message, 'err');
  }
}

// ---- controls -----------------------------------------------------------

function presetValues() {
  return (S.presets.find((p) => p.id === S.preset) || {}).values || {};
}

function buildAll() {
  const keep = S.controls ? overrides() : {};
  S.controls = buildControls($('controls'), S.table, { sourceSeconds: S.sound ? S.sound.duration_s : 10 }, () => {
    syncDiversity();
    schedule();
  });
  applyPreset(keep);
}

function applyPreset(keep = {}) {
  const pv = presetValues();
  for (const [id, c] of S.controls) {
    c.presetValue = pv[id] ?? '';
    c.set(keep[id] ?? pv[id] ?? '');
    c.setError('');
  }
  syncDiversity();
}

function syncDiversity() {
  const d = S.controls.get('diversity'), a = S.controls.get('alpha');
  if (d && a) a.root.classList.toggle('disabled', d.get() !== '');
}

// The values that differ from the preset's, as the flags would write them.
function overrides() {
  const pv = presetValues();
  const o = {};
  const diversity = S.controls.get('diversity')?.get();
  for (const [id, c] of S.controls) {
    const v = c.get();
    if (id === 'alpha' && diversity) continue;
    if (v !== (pv[id] ?? '')) o[id] = v;
  }
  return o;
}

// ---- rendering ------------------------------------------------------------

// Render on change: at once when nothing is rendering, else after 30 ms of
// quiet; a newer change aborts the request in flight (and the server answers
// a request still queued behind a newer one with 409).
function schedule(delay) {
  if (!S.sound) return;
  const t0 = S.pending ?? performance.now();
  S.pending = t0;
  clearTimeout(S.timer);
  const g = ++S.scheduled;
  const go = () => { if (S.scheduled === g) render(t0); };
  const d = delay ?? (S.inflight ? 30 : 0);
  // At once: right after the event's task (a timer of 0 waits for the
  // browser's next turn, several milliseconds on a busy machine).
  if (d > 0) S.timer = setTimeout(go, d); else queueMicrotask(go);
}

// The result's player is double-buffered: a render loads into the standby
// element while the current one keeps playing, and they swap when the new
// one can play. Resolves when the standby can play what `url` names; rejects
// if it cannot, or if a newer load replaced this one.
function loadStandby(url) {
  const b = $('audio-b-standby');
  const g = ++S.standbyGen;
  const ready = new Promise((res, rej) => {
    const done = (e) => {
      b.removeEventListener('canplay', done);
      b.removeEventListener('error', done);
      if (S.standbyGen !== g) rej(new Error('superseded'));
      else if (e.type === 'canplay') res();
      else rej(new Error("the result's audio did not load"));
    };
    b.addEventListener('canplay', done);
    b.addEventListener('error', done);
  });
  ready.catch(() => {});
  b.src = url;
  b.load();
  return ready;
}

// The standby becomes the result's player (the id `audio-b` follows it),
// at the position the old one was playing.
function swapIn() {
  const old = $('audio-b'), b = $('audio-b-standby');
  const playing = S.which === 'b' && !old.paused;
  const at = old.currentTime;
  old.id = 'audio-b-standby';
  b.id = 'audio-b';
  b.loop = $('loop').checked;
  levels();
  if (playing) {
    b.currentTime = at % (b.duration || 1);
    b.play().catch(() => {});
  }
  old.pause();
}

async function render(t0) {
  S.pending = null;
  if (!S.locked) { S.seed = randomSeed(); $('seed').value = S.seed; }
  if (S.abort) S.abort.abort();
  const ctl = new AbortController();
  S.abort = ctl;
  // The request's name: the player asks for its output at once (the server
  // holds that request until the render is done), in parallel with the answer.
  const key = `k${Date.now().toString(36)}${(++S.keys).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const req = {
    sound: S.sound.id, preset: S.preset, params: overrides(), seed: S.seed,
    bits: $('bits').value, lane: 'main', key,
  };
  status('rendering…', 'busy');
  S.inflight = true;
  let r;
  const answer = api('api/render', {
    method: 'POST', signal: ctl.signal,
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(req),
  });
  const ready = loadStandby(`api/keys/${key}/output.wav`);
  try {
    r = await answer;
  } catch (e) {
    if (e.name === 'AbortError' || e.status === 409) return;
    S.inflight = false;
    for (const [, c] of S.controls) c.setError('');
    const c = e.body && e.body.param && S.controls.get(e.body.param);
    if (c) c.setError(e.message);
    status(c ? `${pretty(e.body.param)}: see the control` : 'error', 'err');
    $('messages').textContent = '';
    if (!c) message(e.message, 'err');
    return;
  }
  if (S.abort !== ctl) return;
  for (const [, c] of S.controls) c.setError('');
  try {
    await show(r, t0, performance.now(), ready);
  } finally {
    if (S.abort === ctl) S.inflight = false;
  }
}

// Shows a render: views drawn, audio loaded (playback continues where it was).
async function show(r, t0, tJson, ready) {
  ready ??= loadStandby(`api/renders/${r.id}/output.wav`);
  S.current = r;
  drawAll();
  showInfo(r);
  const tDrawn = performance.now();
  // Drawn means on screen: the next frame after the drawing.
  const painted = new Promise((res) => requestAnimationFrame(() => res()));
  try {
    await ready;
  } catch (e) {
    if (e.message === 'superseded') return;
    // The early request failed (the server too busy to hold it): by the id.
    try {
      await loadStandby(`api/renders/${r.id}/output.wav`);
    } catch (e2) {
      if (e2.message !== 'superseded') message(e2.message, 'err');
      return;
    }
  }
  const tPlayable = performance.now();
  swapIn();
  await painted;
  if (t0 !== undefined) {
    const ms = performance.now() - t0;
    window.garStudio.timings.push({
      id: r.id, ms, server_ms: r.timings_ms,
      answer_ms: tJson - t0, drawn_ms: tDrawn - t0, playable_ms: tPlayable - t0,
    });
    status(`rendered in ${Math.round(ms)} ms${r.reused_analysis ? ' · analysis reused' : ''}`, 'ok');
  } else {
    status(`render ${r.id} restored`, 'ok');
  }
  window.garStudio.renders++;
  window.garStudio.lastId = r.id;
  refreshHistory();
}

function showInfo(r) {
  const base = `api/renders/${r.id}`;
  const stem = r.file_name.replace(/\.wav$/, '');
  const set = (id, href, name) => { $(id).href = href; $(id).download = name; };
  set('dl-wav', `${base}/output.wav?download=1`, `${stem}.wav`);
  set('dl-report', `${base}/report.json?download=1`, `${stem}.json`);
  set('dl-params', `${base}/params.toml?download=1`, `${stem}.toml`);
  set('dl-png', `${base}/plot.png?download=1`, `${stem}.png`);
  set('dl-svg', `${base}/plot.svg?download=1`, `${stem}.svg`);
  $('command').textContent = r.command;
  $('out-note').textContent = `${r.duration_s.toFixed(2)} s · ${r.channels} ch · peak gain ${r.level ? r.level.gain_db.toFixed(1) : 0} dB`;
  const v = r.view;
  const rows = [
    ['candidates', v.candidates], ['active', `${v.active} (${(100 * v.active / v.candidates).toFixed(0)} %)`],
    ['effective grains', fmt(v.effective_grains)], ['hops', v.hops], ['unique grains used', v.unique],
    ['seed', r.seed], ['analysis', r.reused_analysis ? 'reused' : 'computed'],
    ['server', `${Object.values(r.timings_ms).reduce((a, b) => a + b, 0).toFixed(0)} ms`],
  ];
  const dl = $('stats');
  dl.textContent = '';
  for (const [k, val] of rows) {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = val;
    dl.append(dt, dd);
  }
  const m = $('messages');
  m.textContent = '';
  for (const a of r.adjustments) message(a, 'adj');
  for (const w of r.warnings) message(w, 'warn');
}

async function refreshHistory() {
  let list;
  try { list = await api('api/renders'); } catch { return; }
  const ol = $('history');
  ol.textContent = '';
  for (const h of list.slice().reverse()) {
    const li = document.createElement('li');
    if (S.current && h.id === S.current.id) li.className = 'current';
    const main = document.createElement('div'); main.className = 'h-main';
    const t = document.createElement('div'); t.className = 'h-title';
    t.textContent = `#${h.id} ${h.preset}`;
    const sub = document.createElement('div'); sub.className = 'h-sub';
    const ps = Object.entries(h.params).map(([k, v]) => `${pretty(k)} ${v}`).join(' · ');
    sub.textContent = `${h.sound_name}${ps ? ' · ' + ps : ''} · seed ${h.seed}`;
    sub.title = h.command;
    main.append(t, sub);
    const play = document.createElement('button');
    play.className = 'ghost'; play.textContent = 'listen';
    play.title = 'Hear this render now (without restoring it)';
    play.addEventListener('click', (e) => {
      e.stopPropagation();
      const a = new Audio(`api/renders/${h.id}/output.wav`);
      stopAll(); a.play();
      S.preview = a;
    });
    li.append(main, play);
    li.title = 'Restore this render: its sound, preset, values and seed';
    li.addEventListener('click', () => restore(h.id));
    ol.append(li);
  }
}

async function restore(id) {
  const r = await api(`api/renders/${id}`);
  if (!S.sound || r.sound !== S.sound.id) {
    $('sound').value = r.sound;
    S.sound = await api(`api/sounds/${r.sound}`);
    $('audio-a').src = `api/sounds/${r.sound}/source.wav`;
  }
  S.preset = r.preset; $('preset').value = r.preset;
  S.seed = r.seed; $('seed').value = r.seed;
  $('bits').value = r.bits;
  buildAll();
  applyPreset(r.params);
  await show(r);
}

// ---- playback -------------------------------------------------------------

function activeAudio() { return S.which === 'a' ? $('audio-a') : $('audio-b'); }
function isPlaying() { return !$('audio-a').paused || !$('audio-b').paused; }
function stopAll() {
  for (const a of [$('audio-a'), $('audio-b')]) a.pause();
  if (S.preview) { S.preview.pause(); S.preview = null; }
}

function levels() {
  // Matched level: the louder of A and B is played quieter by the RMS difference.
  const a = $('audio-a'), b = $('audio-b');
  a.volume = 1; b.volume = 1;
  if (!$('match').checked || !S.current || !S.sound) return;
  const d = S.current.wave.rms_db - S.current.source_rms_db;
  if (!isFinite(d)) return;
  if (d > 0) b.volume = Math.pow(10, -d / 20); else a.volume = Math.pow(10, d / 20);
}

function switchTo(which) {
  if (S.which === which) return;
  const from = activeAudio();
  const playing = !from.paused;
  S.which = which;
  const to = activeAudio();
  $('ab-a').classList.toggle('on', which === 'a');
  $('ab-b').classList.toggle('on', which === 'b');
  levels();
  if (to.duration) to.currentTime = from.currentTime % to.duration;
  from.pause();
  if (playing) to.play().catch(() => {});
}

function tick() {
  const a = activeAudio();
  const d = a.duration || 0;
  const t = a.currentTime || 0;
  const f = (x) => `${Math.floor(x / 60)}:${(x % 60).toFixed(1).padStart(4, '0')}`;
  // Written only when changed: a text written every frame costs a layout
  // every frame, time a busy machine's other work needs.
  const text = (id, v) => { if ($(id).textContent !== v) $(id).textContent = v; };
  text('time', `${f(t)} / ${f(d)}`);
  text('play', isPlaying() ? 'Pause' : 'Play');
  if (isPlaying() || S.lastT !== t) { S.lastT = t; drawAll(); }
  requestAnimationFrame(tick);
}

// ---- drawing --------------------------------------------------------------

function playingGrain() {
  const r = S.current;
  if (!r || S.which !== 'b') return -1;
  const h = hopAt(r.view.pos_s, $('audio-b').currentTime);
  return h >= 0 ? r.view.grain[h] : -1;
}

function drawAll() {
  const r = S.current, v = r && r.view;
  const src = S.sound ? S.sound.duration_s : 1;
  const a = $('audio-a'), b = $('audio-b');
  drawWave($('cv-source'), S.sound && S.sound.overview, {
    color: '#7d8a9b', normalise: true, playhead: S.which === 'a' && a.duration ? a.currentTime / a.duration : null,
  });
  drawWave($('cv-output'), r && r.wave, { playhead: S.which === 'b' && b.duration ? b.currentTime / b.duration : null });
  const playing = playingGrain();
  S.scoreGeom = drawScore($('cv-score'), v, src, { hover: S.hover, playing });
  const cv = $('cv-score');
  if (S.scoreGeom) {
    cv.dataset.floorY = S.scoreGeom.floorY.toFixed(1);
    cv.dataset.probMax = S.scoreGeom.probMax;
    cv.dataset.renderId = r.id;
  }
  drawSeq($('cv-seq'), v, r ? r.duration_s : 1, { playhead: S.which === 'b' && b.duration ? b.currentTime / b.duration : null });
  drawUsage($('cv-usage'), v, { playing: S.hover ?? playing });
  for (const [, c] of S.controls || []) {
    if (c.editor) c.setPlayhead(S.which === 'b' && b.duration ? b.currentTime / b.duration : null);
  }
}

function tooltip(e, text) {
  const t = $('tooltip');
  if (!text) { t.hidden = true; return; }
  t.hidden = false;
  t.textContent = text;
  t.style.left = `${Math.min(window.innerWidth - 220, e.clientX + 14)}px`;
  t.style.top = `${e.clientY + 14}px`;
}

function grainText(i) {
  const v = S.current.view;
  return `grain ${i}\nstart  ${v.start_s[i].toFixed(3)} s\nscore  ${fmt(v.score[i])}${v.active_mask[i] ? '' : ' (below the floor)'}\nprob   ${fmt(v.prob[i])}\nuses   ${v.usage[i]}`;
}

function hoverSetup() {
  const frac = (e, c) => { const r = c.getBoundingClientRect(); return (e.clientX - r.left) / r.width; };
  const score = $('cv-score');
  score.addEventListener('mousemove', (e) => {
    if (!S.current) return;
    const i = scoreIndexAt(S.current.view, S.sound.duration_s, frac(e, score));
    S.hover = i;
    tooltip(e, i >= 0 ? grainText(i) + '\nclick to hear it alone' : '');
    drawAll();
  });
  score.addEventListener('mouseleave', (e) => { S.hover = null; tooltip(e, ''); drawAll(); });
  score.addEventListener('click', (e) => {
    if (!S.current) return;
    const i = scoreIndexAt(S.current.view, S.sound.duration_s, frac(e, score));
    if (i < 0) return;
    stopAll();
    S.preview = new Audio(`api/renders/${S.current.id}/grain/${i}.wav`);
    S.preview.play().catch(() => {});
  });
  const seq = $('cv-seq');
  seq.addEventListener('mousemove', (e) => {
    if (!S.current) return;
    const v = S.current.view;
    const t = frac(e, seq) * S.current.duration_s;
    const h = hopAt(v.pos_s, t);
    if (h < 0) return tooltip(e, '');
    S.hover = v.grain[h];
    tooltip(e, `hop ${h} at ${v.pos_s[h].toFixed(3)} s\n${grainText(v.grain[h])}${v.pitch_st[h] ? `\npitch  ${fmt(v.pitch_st[h])} st` : ''}`);
    drawAll();
  });
  seq.addEventListener('mouseleave', (e) => { S.hover = null; tooltip(e, ''); });
  seq.addEventListener('click', (e) => seek($('audio-b'), frac(e, seq), 'b'));
  const usage = $('cv-usage');
  usage.addEventListener('mousemove', (e) => {
    if (!S.current) return;
    const i = Math.floor(frac(e, usage) * S.current.view.candidates);
    S.hover = i;
    tooltip(e, grainText(i));
    drawAll();
  });
  usage.addEventListener('mouseleave', (e) => { S.hover = null; tooltip(e, ''); });
  $('cv-output').addEventListener('click', (e) => seek($('audio-b'), frac(e, $('cv-output')), 'b'));
  $('cv-source').addEventListener('click', (e) => seek($('audio-a'), frac(e, $('cv-source')), 'a'));
}

function seek(audio, f, which) {
  switchTo(which);
  if (audio.duration) audio.currentTime = f * audio.duration;
}

// ---- start ------------------------------------------------------------------

async function main() {
  const st = await api('api/state');
  S.table = st.parameters;
  S.presets = st.presets;
  S.sounds = st.sounds;
  S.limits = st.limits;
  const ps = $('preset');
  for (const p of [...st.presets].sort((a, b) => a.number - b.number)) {
    const o = document.createElement('option');
    o.value = p.id; o.textContent = `${p.number} · ${p.name}`; o.title = p.character;
    ps.append(o);
  }
  ps.value = S.preset;
  ps.addEventListener('change', () => { S.preset = ps.value; applyPreset(); schedule(0); });
  $('seed').value = S.seed;
  $('seed').addEventListener('change', () => { const v = Math.floor(+$('seed').value); if (v > 0) { S.seed = v; schedule(0); } });
  $('lock').addEventListener('click', () => {
    S.locked = !S.locked;
    $('lock').classList.toggle('on', S.locked);
    $('lock').textContent = S.locked ? 'locked' : 'new each time';
    $('lock').setAttribute('aria-pressed', S.locked);
  });
  $('reroll').addEventListener('click', () => { S.seed = randomSeed(); $('seed').value = S.seed; schedule(0); });
  $('bits').addEventListener('change', () => schedule(0));
  $('sound').addEventListener('change', () => selectSound(+$('sound').value));
  $('open').addEventListener('click', () => $('file').click());
  $('file').addEventListener('change', () => { if ($('file').files[0]) upload($('file').files[0]); });
  let depth = 0;
  window.addEventListener('dragenter', (e) => { e.preventDefault(); depth++; $('drop').hidden = false; });
  window.addEventListener('dragleave', () => { if (--depth <= 0) { depth = 0; $('drop').hidden = true; } });
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => {
    e.preventDefault(); depth = 0; $('drop').hidden = true;
    const f = e.dataTransfer.files[0];
    if (f) upload(f);
  });
  $('play').addEventListener('click', () => {
    const a = activeAudio();
    if (S.preview) { S.preview.pause(); S.preview = null; }
    if (a.paused) { levels(); a.play().catch(() => {}); } else a.pause();
  });
  $('stop').addEventListener('click', () => { stopAll(); activeAudio().currentTime = 0; });
  $('loop').addEventListener('change', () => { for (const a of [$('audio-a'), $('audio-b'), $('audio-b-standby')]) a.loop = $('loop').checked; });
  for (const a of [$('audio-a'), $('audio-b')]) a.loop = true;
  $('ab-a').addEventListener('click', () => switchTo('a'));
  $('ab-b').addEventListener('click', () => switchTo('b'));
  $('match').addEventListener('change', levels);
  $('copy').addEventListener('click', async () => {
    const text = $('command').textContent;
    try { await navigator.clipboard.writeText(text); $('copy').textContent = 'Copied'; } catch {
      const r = document.createRange(); r.selectNodeContents($('command'));
      getSelection().removeAllRanges(); getSelection().addRange(r); $('copy').textContent = 'Selected';
    }
    setTimeout(() => { $('copy').textContent = 'Copy'; }, 1500);
  });
  window.addEventListener('keydown', (e) => {
    if (e.code === 'Space' && !['INPUT', 'SELECT', 'TEXTAREA'].includes(document.activeElement.tagName)) {
      e.preventDefault(); $('play').click();
    }
  });
  window.addEventListener('resize', drawAll);
  hoverSetup();
  fillSounds();
  requestAnimationFrame(tick);
  if (S.sounds.length) await selectSound(S.sounds[0].id);
  else status('drop a sound on the page to start');
}

main().catch((e) => { status('cannot start', 'err'); message(String(e.message || e), 'err'); });
