// Parameter controls, generated from the parameter table (`GET api/state`,
// `parameters`): a slider and a number field for numbers and envelopes, a
// select for choices, a switch, a text field for the score's grammar. Any
// parameter added to the table appears here without UI work.
import { EnvelopeEditor, isPlainNumber, parseEnvelope } from './envelope.js';

// Headings for a nicer order; a parameter not listed lands in its table group.
const SECTIONS = [
  ['Grains', ['grain_ms', 'hop_ms', 'cand_hop_ms', 'duration_s']],
  ['Attention', ['alpha', 'diversity', 'floor_db', 'score', 'transient_weight', 'drivers', 'attention_norm', 'recency']],
  ['Variation', ['time_jitter_ms', 'pitch_jitter_st', 'pitch_st', 'wet']],
  ['Channels', ['channels', 'spread']],
];

export function pretty(id) {
  return id.replace(/_(ms|st|db|s)$/, '').replace(/_/g, ' ');
}

export function fmt(v) {
  if (!isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toExponential(3);
  return String(+v.toPrecision(4));
}

// The slider's span: the table's clamp range where it is finite, else the
// presets' and default's values widened; logarithmic for positive values over
// two decades or more.
export function scaleOf(spec, ctx) {
  const vals = [];
  if (spec.default !== null && isPlainNumber(spec.default)) vals.push(+spec.default);
  for (const v of Object.values(spec.presets || {})) if (typeof v === 'number') vals.push(v);
  let lo = spec.min, hi = spec.limit ?? spec.max;
  if (spec.id === 'duration_s') { lo = 0.1; hi = Math.max(60, 4 * ctx.sourceSeconds); }
  const big = vals.length ? Math.max(...vals.map(Math.abs), 1) : 10;
  if (lo === null || lo === undefined) lo = spec.positive ? Math.min(...vals, big) / 100 : -Math.max(4 * big, 12);
  if (hi === null || hi === undefined || !isFinite(hi)) hi = Math.max(...vals, lo + 1) * 2;
  if (spec.positive && lo <= 0) lo = Math.min(0.01, hi / 1000);
  const log = lo > 0 && hi / lo >= 100;
  return {
    lo, hi, log,
    toUnit(v) {
      const u = log ? Math.log(v / lo) / Math.log(hi / lo) : (v - lo) / (hi - lo);
      return Math.min(1, Math.max(0, u));
    },
    fromUnit(u) {
      const v = log ? lo * Math.pow(hi / lo, u) : lo + u * (hi - lo);
      return +v.toPrecision(3);
    },
  };
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// One control. `onChange()` runs when the user changes the value.
class Control {
  constructor(spec, ctx, onChange) {
    this.spec = spec;
    this.onChange = onChange;
    this.presetValue = '';
    this.root = el('div', 'ctl');
    this.root.dataset.param = spec.id;
    const head = el('div', 'ctl-head');
    const name = el('span', 'ctl-name', pretty(spec.id));
    name.title = `${spec.flag}: ${spec.doc}`;
    head.append(name);
    if (spec.unit) head.append(el('span', 'ctl-unit', spec.unit));
    head.append(el('span', 'spacer'));
    if (spec.varies) {
      this.envButton = el('button', 'ghost', 'over time');
      this.envButton.title = 'Edit this parameter as an envelope over the output time';
      this.envButton.addEventListener('click', () => this.toggleEnvelope());
      head.append(this.envButton);
    }
    const reset = el('button', 'ghost reset', 'reset');
    reset.title = 'Back to the preset\'s value';
    reset.addEventListener('click', () => { this.set(this.presetValue); this.changed(); });
    head.append(reset);
    this.root.append(head);
    const body = el('div', 'ctl-body');
    const k = spec.kind;
    if (k === 'envelope' || k === 'number') {
      this.scale = scaleOf(spec, ctx);
      const track = el('div', 'track');
      this.slider = el('input');
      this.slider.type = 'range';
      this.slider.min = 0; this.slider.max = 1000; this.slider.step = 1;
      this.slider.setAttribute('aria-label', `${spec.id} slider`);
      this.slider.addEventListener('input', () => {
        this.input.value = fmt(this.scale.fromUnit(this.slider.value / 1000));
        this.changed();
      });
      track.append(this.slider);
      if (spec.default !== null && isPlainNumber(spec.default)) {
        const d = el('span', 'def');
        d.title = `default ${spec.default}`;
        d.style.left = `${this.scale.toUnit(+spec.default) * 100}%`;
        track.append(d);
      }
      this.input = el('input');
      this.input.type = 'text';
      this.input.inputMode = 'decimal';
      this.input.placeholder = spec.default === null ? 'unset' : spec.default;
      body.append(track, this.input);
    } else if (k === 'choice') {
      body.classList.add('wide');
      this.input = el('select');
      for (const c of spec.choices) {
        const o = el('option', '', c.id);
        o.value = c.id; o.title = c.doc;
        this.input.append(o);
      }
    } else if (k === 'switch') {
      body.classList.add('wide');
      this.input = el('select');
      for (const c of ['on', 'off']) { const o = el('option', '', c); o.value = c; this.input.append(o); }
    } else {
      body.classList.add('wide');
      this.input = el('input');
      this.input.type = 'text';
      this.input.placeholder = spec.default === null ? 'unset' : spec.default;
      const list = el('datalist');
      list.id = `list-${spec.id}`;
      for (const c of spec.choices) { const o = el('option'); o.value = c.id; o.label = c.doc; list.append(o); }
      this.input.setAttribute('list', list.id);
      body.append(list);
    }
    this.input.setAttribute('aria-label', spec.id);
    this.input.name = spec.id;
    this.input.addEventListener(k === 'choice' || k === 'switch' ? 'change' : 'input', () => {
      this.syncSlider();
      this.syncEnvelope();
      this.changed();
    });
    if (!body.contains(this.input)) body.append(this.input);
    this.root.append(body);
    const range = el('div', 'ctl-range', `${spec.range}${spec.default !== null ? ` · default ${spec.default}` : ''}`);
    range.title = spec.doc;
    this.root.append(range);
    this.error = el('div', 'ctl-error');
    this.root.append(this.error);
  }

  get() { return this.input.value.trim(); }

  set(text) {
    this.input.value = text ?? '';
    this.syncSlider();
    this.syncEnvelope();
    this.mark();
  }

  changed() {
    this.mark();
    this.onChange(this);
  }

  mark() {
    this.root.classList.toggle('changed', this.get() !== (this.presetValue ?? ''));
  }

  syncSlider() {
    if (!this.slider) return;
    const t = this.get();
    // An envelope's text gets the whole width (the slider shows numbers only).
    this.root.classList.toggle('is-env', t !== '' && !isPlainNumber(t));
    if (isPlainNumber(t)) {
      this.slider.disabled = false;
      this.slider.value = Math.round(this.scale.toUnit(+t) * 1000);
    } else if (t === '') {
      this.slider.disabled = false;
      this.slider.value = this.spec.default && isPlainNumber(this.spec.default)
        ? Math.round(this.scale.toUnit(+this.spec.default) * 1000) : 0;
    } else {
      const pts = parseEnvelope(t);
      this.slider.disabled = true;
      if (pts) this.slider.value = Math.round(this.scale.toUnit(pts[0].v) * 1000);
    }
  }

  toggleEnvelope() {
    if (this.editor) {
      this.editor.root.remove();
      this.editor = null;
      this.envButton.classList.remove('on');
      return;
    }
    this.envButton.classList.add('on');
    this.editor = new EnvelopeEditor(this.scale, (text) => {
      this.input.value = text;
      this.syncSlider();
      this.changed();
    });
    this.root.insertBefore(this.editor.root, this.error);
    const t = this.get() || this.spec.default || String(this.scale.fromUnit(0.5));
    this.editor.setText(t);
  }

  syncEnvelope() { if (this.editor) this.editor.setText(this.get() || this.spec.default || ''); }

  setError(msg) {
    this.error.textContent = msg || '';
    this.root.classList.toggle('bad', !!msg);
  }

  setPlayhead(frac) { if (this.editor) this.editor.setPlayhead(frac); }
}

// Builds every control into `root`; returns them by id.
export function buildControls(root, specs, ctx, onChange) {
  root.textContent = '';
  const byId = new Map();
  const placed = new Set();
  const sections = SECTIONS.map(([title, ids]) => [title, ids.map((id) => specs.find((s) => s.id === id)).filter(Boolean)]);
  const rest = specs.filter((s) => s.kind !== 'integer' && !SECTIONS.some(([, ids]) => ids.includes(s.id)));
  const level = rest.filter((s) => s.group === 'level');
  const other = rest.filter((s) => s.group !== 'level');
  if (other.length) sections.push(['More', other]);
  if (level.length) sections.push(['Output level', level]);
  for (const [title, list] of sections) {
    if (!list.length) continue;
    const g = el('section', 'group');
    g.append(el('h3', '', title));
    for (const spec of list) {
      if (placed.has(spec.id)) continue;
      placed.add(spec.id);
      const c = new Control(spec, ctx, onChange);
      byId.set(spec.id, c);
      g.append(c.root);
    }
    root.append(g);
  }
  return byId;
}
