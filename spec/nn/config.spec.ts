import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_CONV, fourLayerConfig, paperConfig, scaledPaperConfig, smallConfig, torchvisionConfig, withoutGroups } from '../../src/nn/config.js';
import { featureLayer, layerShapes, parameterCount, parameterShapes } from '../../src/nn/layers.js';
import { throwsWith } from '../helpers.js';

test('the paper net has 60,965,224 parameters, 62,378,344 without groups', () => {
  assert.is(parameterCount(paperConfig()), 60_965_224);
  assert.is(parameterCount(withoutGroups(paperConfig())), 62_378_344);
});

test("every layer's output shape and parameter count is the table of ../shared/alexnet-paper.md", () => {
  const want: Record<string, [number[], number]> = {
    conv1: [[96, 55, 55], 34_848 + 96], norm1: [[96, 55, 55], 0], pool1: [[96, 27, 27], 0],
    conv2: [[256, 27, 27], 307_200 + 256], pool2: [[256, 13, 13], 0],
    conv3: [[384, 13, 13], 884_736 + 384], conv4: [[384, 13, 13], 663_552 + 384], conv5: [[256, 13, 13], 442_368 + 256],
    pool5: [[256, 6, 6], 0], flatten: [[9216], 0],
    fc6: [[4096], 37_748_736 + 4096], fc7: [[4096], 16_777_216 + 4096], fc8: [[1000], 4_096_000 + 1000],
  };
  const got = new Map(layerShapes(paperConfig()).map((l) => [l.layer.name, l]));
  for (const [name, [shape, params]] of Object.entries(want)) {
    assert.equal(got.get(name)?.outShape, shape, name);
    assert.is(got.get(name)?.params, params, name);
  }
  const order = layerShapes(paperConfig()).map((l) => l.layer.name).join(' ');
  assert.is(order, 'conv1 relu1 norm1 pool1 conv2 relu2 norm2 pool2 conv3 relu3 conv4 relu4 conv5 relu5 pool5 flatten fc6 relu6 drop6 fc7 relu7 drop7 fc8');
});

test('initial biases: 1 in conv2, conv4, conv5, fc6, fc7 (paper, section 5), 0 elsewhere', () => {
  const inits = Object.fromEntries(parameterShapes(paperConfig()).map((p) => [p.name, p.init]));
  assert.equal(
    ['conv1', 'conv2', 'conv3', 'conv4', 'conv5', 'fc6', 'fc7', 'fc8'].map((l) => inits[`${l}.bias`]),
    [0, 1, 0, 1, 1, 1, 1, 0],
  );
  assert.is(inits['conv1.weight'], 'normal');
});

test('torchvision variant: 61,100,840 parameters, dropout before fc6 and fc7, no LRN; small configs fit 28 and 32', () => {
  assert.is(parameterCount(torchvisionConfig()), 61_100_840);
  const order = layerShapes(torchvisionConfig()).map((l) => l.layer.name).join(' ');
  assert.is(order, 'conv1 relu1 pool1 conv2 relu2 pool2 conv3 relu3 conv4 relu4 conv5 relu5 pool5 flatten drop6 fc6 relu6 drop7 fc7 relu7 fc8');
  assert.equal(layerShapes(smallConfig()).find((l) => l.layer.name === 'pool5')!.outShape, [32, 2, 2]);
  assert.equal(layerShapes(smallConfig({ inputSize: 32, inputChannels: 3 })).find((l) => l.layer.name === 'pool5')!.outShape, [32, 3, 3]);
  throwsWith(() => layerShapes({ ...torchvisionConfig(), inputSize: 256 }), /adaptive average pooling to 6 x 6 is only supported where it is the identity/);
});

test('the paper layout (partitions 2) normalises each half of the channels; one partition, all of them', () => {
  const norm = (c: ReturnType<typeof paperConfig>) => layerShapes(c).find((l) => l.layer.name === 'norm1')!.layer;
  assert.is((norm(paperConfig()) as { params: { groups?: number } }).params.groups, 2);
  assert.is((norm({ ...paperConfig(), partitions: 1 }) as { params: { groups?: number } }).params.groups, 1);
  const tanh = layerShapes({ ...smallConfig(), activation: 'tanh' }).map((l) => l.layer.kind);
  assert.ok(tanh.includes('tanh') && !tanh.includes('relu'));
});

test('multiply-adds per image: the paper net does 724 M forward (../shared/alexnet-paper.md)', () => {
  const macs = layerShapes(paperConfig()).reduce((s, l) => s + l.macs, 0);
  assert.is(Math.round(macs / 1e5) / 10, 724.4);
  assert.is(Math.round(layerShapes(paperConfig()).find((l) => l.layer.name === 'conv2')!.macs / 1e5) / 10, 223.9);
});

test('a configuration that does not fit is rejected with the layer named', () => {
  throwsWith(() => layerShapes(scaledPaperConfig({ name: 'small', channels: [8, 16, 24, 24, 16], fc: [8, 8], classes: 10, inputSize: 32 })), /small: pool2 does not fit its input \[16, 2, 2\]/);
  throwsWith(() => layerShapes(scaledPaperConfig({ name: 'odd', channels: [9, 16, 24, 24, 16], fc: [8, 8], classes: 10, inputSize: 67 })), /conv2 has groups = 2/);
  throwsWith(() => scaledPaperConfig({ name: 'x', channels: [8, 16], fc: [8, 8], classes: 10, inputSize: 67 }), /channels must list 5 conv widths/);
});

test("Figure 1's four-layer net: three conv layers, each pooled, then the classifier numbered on (fc4); no LRN or dropout", () => {
  const c = fourLayerConfig();
  const l = layerShapes(c);
  assert.is(l.map((x) => x.layer.name).join(' '), 'conv1 relu1 pool1 conv2 relu2 pool2 conv3 relu3 pool3 flatten fc4');
  // 28 -> pool 13 -> 6 -> 2 (3 x 3 stride 2, floor); 64 x 2 x 2 = 256 inputs to the classifier.
  assert.equal(l.find((x) => x.layer.name === 'pool3')?.outShape, [64, 2, 2]);
  assert.is(parameterCount(c), (32 * 25 + 32) + (32 * 32 * 25 + 32) + (64 * 32 * 25 + 64) + (256 * 10 + 10));
  assert.equal(layerShapes({ ...c, activation: 'tanh' }).filter((x) => x.layer.kind === 'tanh').map((x) => x.layer.name), ['tanh1', 'tanh2', 'tanh3']);
  // Hidden FC layers may be added back: they take the activation and dropout, numbered after the convs.
  assert.is(layerShapes({ ...c, fc: [20] }).map((x) => x.layer.name).slice(-5).join(' '), 'flatten fc4 relu4 drop4 fc5');
  throwsWith(() => layerShapes({ ...c, conv: [] }), /four-layer: needs 1 to 16 conv layers, got 0/);
  throwsWith(() => layerShapes({ ...c, conv: Array(MAX_CONV + 1).fill(c.conv[0]) }), /needs 1 to 16 conv layers, got 17/);
});

test("Figure 4's features: relu7 (4096 values) in the paper net, the flattened last pooling where no hidden FC layer is", () => {
  assert.equal(featureLayer(paperConfig()), { name: 'relu7', size: 4096 });
  assert.equal(featureLayer(torchvisionConfig()), { name: 'relu7', size: 4096 });
  assert.equal(featureLayer(fourLayerConfig()), { name: 'flatten', size: 256 });
  assert.equal(featureLayer({ ...smallConfig(), fc: [40, 30] }), { name: 'relu7', size: 30 });
});

test.run();
