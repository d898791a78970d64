// Envelopes over output time, in the grammar the CLI accepts
// (`gar render --help`): `12`, `25..2@exp`, `"0:1, 0.5:30@exp, 1:2"`. The
// shape of a segment is written on the point that ends it.
const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const SHAPES = ['lin', 'exp', 'step', 'smooth'];

export function isPlainNumber(t) {
  return NUM.test(String(t).trim());
}

// Points [{t, v, shape}] with fractional times, or null when the text uses
// absolute times (seconds) or does not parse (the engine will say why).
export function parseEnvelope(text) {
  const t = String(text).trim();
  if (t === '') return null;
  if (isPlainNumber(t)) return [{ t: 0, v: +t, shape: 'lin' }, { t: 1, v: +t, shape: 'lin' }];
  let m = t.match(/^([^.:,]+|[+-]?\d*\.\d+)\.\.([^@]+)(@(\w+))?$/);
  if (m && isPlainNumber(m[1]) && isPlainNumber(m[2])) {
    return [{ t: 0, v: +m[1], shape: 'lin' }, { t: 1, v: +m[2], shape: m[4] || 'lin' }];
  }
  const pts = [];
  for (const part of t.split(',')) {
    const pm = part.trim().match(/^([^:]+):([^@]+)(@(\w+))?$/);
    if (!pm || !isPlainNumber(pm[1]) || !isPlainNumber(pm[2])) return null;
    const shape = pm[4] || 'lin';
    if (!SHAPES.includes(shape)) return null;
    pts.push({ t: +pm[1], v: +pm[2], shape });
  }
  return pts.length ? pts : null;
}

function num(v) {
  return String(+(+v).toPrecision(4));
}

export function formatEnvelope(pts) {
  const same = pts.every((p) => p.v === pts[0].v);
  if (same) return num(pts[0].v);
  return pts.map((p, i) => `${num(p.t)}:${num(p.v)}${i > 0 && p.shape !== 'lin' ? '@' + p.shape : ''}`).join(', ');
}

// The value between two points, as the engine computes it.
export function segment(a, b, u) {
  switch (b.shape) {
    case 'exp': return a.v > 0 && b.v > 0 ? a.v * Math.pow(b.v / a.v, u) : a.v + (b.v - a.v) * u;
    case 'step': return u < 1 ? a.v : b.v;
    case 'smooth': return a.v + (b.v - a.v) * (1 - Math.cos(Math.PI * u)) / 2;
    default: return a.v + (b.v - a.v) * u;
  }
}

// A small curve editor: click to add a point, drag to move it, double-click
// (or right-click) to delete it, click a segment's shape label to change it.
export class EnvelopeEditor {
  constructor(scale, onChange) {
    this.scale = scale;
    this.onChange = onChange;
    this.pts = [{ t: 0, v: scale.fromUnit(0.5), shape: 'lin' }, { t: 1, v: scale.fromUnit(0.5), shape: 'lin' }];
    this.playhead = null;
    this.root = document.createElement('div');
    this.root.className = 'env';
    this.canvas = document.createElement('canvas');
    this.help = document.createElement('div');
    this.help.className = 'env-help';
    this.help.textContent = 'click: add · drag: move · double-click: delete · click a shape label: lin → exp → step → smooth';
    this.root.append(this.canvas, this.help);
    this.drag = null;
    this.canvas.addEventListener('pointerdown', (e) => this.down(e));
    this.canvas.addEventListener('pointermove', (e) => this.move(e));
    this.canvas.addEventListener('pointerup', () => this.up());
    this.canvas.addEventListener('dblclick', (e) => this.remove(e));
    this.canvas.addEventListener('contextmenu', (e) => { e.preventDefault(); this.remove(e); });
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  setText(text) {
    const p = parseEnvelope(text);
    this.readOnly = !p;
    if (p) {
      this.pts = p.length === 1 ? [p[0], { ...p[0], t: 1 }] : p;
    }
    this.help.textContent = this.readOnly
      ? 'times in seconds: edit the text (the curve edits fractions of the output)'
      : 'click: add · drag: move · double-click: delete · click a shape label: lin → exp → step → smooth';
    this.draw();
  }

  setPlayhead(frac) { this.playhead = frac; this.draw(); }

  geom() {
    const r = this.canvas.getBoundingClientRect();
    return { w: r.width, h: r.height, pad: 10 };
  }
  xy(p) {
    const { w, h, pad } = this.geom();
    return [pad + p.t * (w - 2 * pad), h - pad - this.scale.toUnit(p.v) * (h - 2 * pad)];
  }
  at(e) {
    const r = this.canvas.getBoundingClientRect();
    const { w, h, pad } = this.geom();
    const t = Math.min(1, Math.max(0, (e.clientX - r.left - pad) / (w - 2 * pad)));
    const u = Math.min(1, Math.max(0, (h - pad - (e.clientY - r.top)) / (h - 2 * pad)));
    return { t, v: this.scale.fromUnit(u), x: e.clientX - r.left, y: e.clientY - r.top };
  }
  hit(e) {
    const q = this.at(e);
    let best = -1, bd = 12;
    this.pts.forEach((p, i) => {
      const [x, y] = this.xy(p);
      const d = Math.hypot(x - q.x, y - q.y);
      if (d < bd) { bd = d; best = i; }
    });
    return best;
  }
  labelHit(e) {
    const q = this.at(e);
    for (let i = 1; i < this.pts.length; i++) {
      const [x0] = this.xy(this.pts[i - 1]);
      const [x1] = this.xy(this.pts[i]);
      const { h } = this.geom();
      if (Math.abs((x0 + x1) / 2 - q.x) < 20 && q.y > h - 24) return i;
    }
    return -1;
  }

  down(e) {
    if (this.readOnly || e.button !== 0) return;
    const l = this.labelHit(e);
    if (l > 0) {
      const s = this.pts[l].shape;
      this.pts[l].shape = SHAPES[(SHAPES.indexOf(s) + 1) % SHAPES.length];
      this.emit();
      return;
    }
    let i = this.hit(e);
    if (i < 0) {
      const q = this.at(e);
      this.pts.push({ t: q.t, v: q.v, shape: 'lin' });
      this.pts.sort((a, b) => a.t - b.t);
      i = this.pts.findIndex((p) => p.t === q.t && p.v === q.v);
      this.emit();
    }
    this.drag = i;
    this.canvas.setPointerCapture(e.pointerId);
  }
  move(e) {
    if (this.drag === null) return;
    const q = this.at(e);
    const i = this.drag;
    const lo = i > 0 ? this.pts[i - 1].t + 0.001 : 0;
    const hi = i < this.pts.length - 1 ? this.pts[i + 1].t - 0.001 : 1;
    this.pts[i].t = i === 0 ? 0 : Math.min(hi, Math.max(lo, +q.t.toFixed(3)));
    this.pts[i].v = q.v;
    this.draw();
    this.emitSoon();
  }
  up() {
    if (this.drag !== null) { this.drag = null; this.emit(); }
  }
  remove(e) {
    if (this.readOnly) return;
    const i = this.hit(e);
    if (i >= 0 && this.pts.length > 2) {
      this.pts.splice(i, 1);
      this.pts[0].t = 0;
      this.emit();
    }
  }
  emitSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.emit(), 40);
  }
  emit() {
    clearTimeout(this.timer);
    this.draw();
    this.onChange(formatEnvelope(this.pts));
  }

  draw() {
    const c = this.canvas;
    const { w, h, pad } = this.geom();
    if (!w) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.strokeStyle = '#222a34'; g.lineWidth = 1;
    for (let k = 0; k <= 4; k++) {
      const y = pad + k * (h - 2 * pad) / 4;
      g.beginPath(); g.moveTo(pad, y); g.lineTo(w - pad, y); g.stroke();
    }
    g.fillStyle = '#5f6b7a'; g.font = '10px system-ui';
    g.fillText(String(+this.scale.hi.toPrecision(3)), pad + 2, pad + 9);
    g.fillText(String(+this.scale.lo.toPrecision(3)), pad + 2, h - pad - 2);
    // The curve, sampled as the engine evaluates it.
    g.strokeStyle = this.readOnly ? '#5f6b7a' : '#4ea1ff'; g.lineWidth = 2;
    g.beginPath();
    const pts = this.pts;
    const first = this.xy(pts[0]);
    g.moveTo(pad, first[1]);
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1], b = pts[i];
      for (let s = 0; s <= 40; s++) {
        const u = s / 40;
        const [x, y] = this.xy({ t: a.t + (b.t - a.t) * u, v: segment(a, b, u) });
        g.lineTo(x, y);
      }
    }
    g.lineTo(w - pad, this.xy(pts[pts.length - 1])[1]);
    g.stroke();
    for (let i = 1; i < pts.length; i++) {
      const [x0] = this.xy(pts[i - 1]);
      const [x1] = this.xy(pts[i]);
      g.fillStyle = pts[i].shape === 'lin' ? '#5f6b7a' : '#ff9f43';
      g.textAlign = 'center';
      g.fillText(pts[i].shape, (x0 + x1) / 2, h - 3);
    }
    g.textAlign = 'left';
    for (const p of pts) {
      const [x, y] = this.xy(p);
      g.fillStyle = '#0d1117'; g.strokeStyle = '#ff9f43'; g.lineWidth = 2;
      g.beginPath(); g.arc(x, y, 4.5, 0, 2 * Math.PI); g.fill(); g.stroke();
    }
    if (this.playhead !== null) {
      const x = pad + this.playhead * (w - 2 * pad);
      g.strokeStyle = 'rgba(255,255,255,.5)'; g.lineWidth = 1;
      g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h); g.stroke();
    }
  }
}
