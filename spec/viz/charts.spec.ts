// The charts' value axes (src/viz/charts.ts): ticks at round values, as a
// reader of the curves PNG expects, and drawn where the values lie.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Ctx2D, drawPanel, valueAxis } from '../../src/viz/charts.js';

/** A 2-D context that records the text it is asked to draw, and ignores the rest. */
function recorder(): { ctx: Ctx2D; texts: { s: string; x: number; y: number }[] } {
  const texts: { s: string; x: number; y: number }[] = [];
  const none = () => undefined;
  const ctx: Ctx2D = {
    fillStyle: '', strokeStyle: '', lineWidth: 1, font: '',
    fillRect: none, strokeRect: none, beginPath: none, moveTo: none, lineTo: none, stroke: none,
    fillText: (s, x, y) => { texts.push({ s, x, y }); },
  };
  return { ctx, texts };
}

/** True when v is a whole multiple of step, up to float rounding. */
const onStep = (v: number, step: number) => Math.abs(v / step - Math.round(v / step)) < 1e-6;

test('valueAxis: round bounds around the data, ticks at 1, 2 or 5 times a power of ten, printed with the decimals their step needs', () => {
  for (const [lo, hi] of [[0.195, 0.844], [0, 19.6], [88.1, 91.4], [0.2395, 0.2542], [-3.2, 7.9], [1200, 1530]]) {
    const a = valueAxis(lo, hi);
    assert.ok(a.lo <= lo && a.hi >= hi, `[${a.lo}, ${a.hi}] covers [${lo}, ${hi}]`);
    assert.ok(a.ticks.length >= 3 && a.ticks.length <= 11, `${a.ticks.length} ticks for [${lo}, ${hi}]`);
    const step = a.ticks[1].value - a.ticks[0].value;
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step} for [${lo}, ${hi}]`);
    for (const t of a.ticks) {
      assert.ok(onStep(t.value, step), `tick ${t.value} on step ${step}`);
      assert.is(Number(t.text), Number(t.value.toFixed(10)), `text ${t.text} of ${t.value}`);
    }
  }
  assert.equal(valueAxis(0.195, 0.844).ticks.map((t) => t.text), ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
  assert.equal(valueAxis(0, 19.6).ticks.map((t) => t.text), ['0', '5', '10', '15', '20']);
});

test('drawPanel labels the value axis with round ticks only, higher values higher on the panel', () => {
  const { ctx, texts } = recorder();
  drawPanel(ctx, { family: 'sans' }, { x0: 0, y0: 0, w: 450, h: 360 }, 'loss',
    [{ name: 'training', color: '#000', values: [0.7993, 0.4679, 0.3993, 0.2395] }], [1, 2, 3, 4], 'epoch');
  const yLabels = texts.filter((t) => t.x === 2);
  assert.ok(yLabels.length >= 3, `${yLabels.length} value labels`);
  const values = yLabels.map((t) => Number(t.s));
  const step = values[1] - values[0];
  assert.ok([0.05, 0.1, 0.2].some((m) => Math.abs(step - m) < 1e-9), `step ${step} for values 0.24-0.80`);
  for (const v of values) assert.ok(onStep(v, step), `label ${v} is a multiple of ${step}`);
  for (let i = 1; i < yLabels.length; i++) assert.ok(yLabels[i].y < yLabels[i - 1].y, 'a larger value is drawn higher');
});

test.run();
