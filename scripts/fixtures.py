#!/usr/bin/python3
"""Weights fixtures for spec/io: files written by the tools that own each format.

Usage: /usr/bin/python3 scripts/fixtures.py OUT_DIR [--full]

Every net is seeded (torch.manual_seed). For each case NAME this writes the
weights file(s), NAME.input.npy (float32 [N, 3, H, W]) and NAME.logits.npy
(float64 logits computed by PyTorch in float64 from the same float32
weights), and OUT_DIR/manifest.json lists the cases. Reduced-width nets keep
the topologies; --full writes instead one full-size file per format (244 MB
each: torchvision-full-zip/-legacy/-st/-onnx, zoo-full, caffe-full-v2).

  torchvision-zip      torch.save (zip, torch >= 1.6) of a torchvision-topology state_dict
  torchvision-legacy   the same net, torch.save(..., _use_new_zipfile_serialization=False)
  torchvision-st       the same net as safetensors (written from its specification:
                       Debian has no python3-safetensors), F32
  torchvision-st16     F16 and BF16 tensors (logits from the rounded weights)
  torchvision-onnx     torch.onnx.export (opset 13, dynamic batch) of the same net
  zoo-onnx             the ONNX model zoo's bvlcalexnet layout built with onnx.helper:
                       grouped Conv, native LRN, MaxPool, pool5 padded to 6 x 6 at 224,
                       Reshape, Gemm transB, Dropout, final Softmax
  caffe-v2 / caffe-v1  a caffemodel (LayerParameter / V1LayerParameter) written with
                       Python's protobuf from scripts/fixtures/caffe.proto (the fields
                       alexnet-ts reads, numbered as in BVLC caffe.proto)
  caffe-trainval       a train_val caffemodel (Data, Dropout, SoftmaxWithLoss, Accuracy)
                       with a deploy.prototxt beside it
  caffe-mean           a mean image, as BlobProto (.binaryproto) and as .npy (not a case)
"""
import json, os, struct, subprocess, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
OUT = sys.argv[1]
FULL = '--full' in sys.argv
os.makedirs(OUT, exist_ok=True)
manifest = []


def npy(name, a):
    np.save(os.path.join(OUT, name), a)


def tv_net(c, fc, classes):
    """torchvision's AlexNet (models/alexnet.py) with other widths: the same module names, so the same keys."""
    class TV(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(3, c[0], 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
                nn.Conv2d(c[0], c[1], 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
                nn.Conv2d(c[1], c[2], 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[2], c[3], 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(c[3], c[4], 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2))
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            self.classifier = nn.Sequential(
                nn.Dropout(0.5), nn.Linear(c[4] * 36, fc[0]), nn.ReLU(inplace=True),
                nn.Dropout(0.5), nn.Linear(fc[0], fc[1]), nn.ReLU(inplace=True), nn.Linear(fc[1], classes))

        def forward(self, x):
            return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))
    return TV()


def randomize(net, std=None):
    """Seeded weights of a scale that keeps activations near unit size through the net."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            nn.init.normal_(m.weight, 0, std or (2.0 / fan_in) ** 0.5)
            nn.init.normal_(m.bias, 0, 0.1)
    return net.eval()


def logits64(net, x):
    with torch.no_grad():
        return net.double()(torch.from_numpy(x).double()).numpy()


def st_write(path, tensors, dtype='F32'):
    """safetensors as its README specifies: u64 header length, JSON header, little-endian C-order data."""
    header, blobs, at = {}, [], 0
    for i, (k, v) in enumerate(tensors.items()):
        dt = dtype if dtype != 'mixed' else ('F16' if i % 2 == 0 else 'BF16')
        a = v.detach().contiguous()
        if dt == 'F32':
            b = a.float().numpy().astype('<f4').tobytes()
        elif dt == 'F16':
            b = a.half().numpy().astype('<f2').tobytes()
        else:  # BF16: the bits of torch's bfloat16
            b = a.bfloat16().view(torch.int16).numpy().astype('<i2').tobytes()
        header[k] = {'dtype': dt, 'shape': list(a.shape), 'data_offsets': [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def case(name, files, x, logits, **extra):
    npy(f'{name}.input.npy', x.astype('<f4'))
    npy(f'{name}.logits.npy', logits)
    manifest.append({'name': name, 'files': files, 'input': f'{name}.input.npy', 'logits': f'{name}.logits.npy', **extra})


def torchvision_cases(tag, c, fc, classes, batch, sixteen=True):
    torch.manual_seed(10)
    net = randomize(tv_net(c, fc, classes))
    x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(11)).numpy()
    ref = logits64(net, x)
    net = net.float()
    sd = net.state_dict()
    p = f'{tag}.pth'
    torch.save(sd, os.path.join(OUT, p))
    case(f'{tag}-zip', [p], x, ref, format='pytorch-zip', config='torchvision')
    p = f'{tag}-legacy.pth'
    torch.save(sd, os.path.join(OUT, p), _use_new_zipfile_serialization=False)
    case(f'{tag}-legacy', [p], x, ref, format='pytorch-legacy', config='torchvision')
    p = f'{tag}.safetensors'
    st_write(os.path.join(OUT, p), sd)
    case(f'{tag}-st', [p], x, ref, format='safetensors', config='torchvision')
    if sixteen:
        # F16 / BF16: the expected logits come from the rounded weights, as the reader widens them exactly.
        p = f'{tag}-16.safetensors'
        st_write(os.path.join(OUT, p), sd, 'mixed')
        rounded = tv_net(c, fc, classes).eval()
        rounded.load_state_dict({k: (v.half() if i % 2 == 0 else v.bfloat16()).float() for i, (k, v) in enumerate(sd.items())})
        case(f'{tag}-st16', [p], x, logits64(rounded, x), format='safetensors', config='torchvision')
    p = f'{tag}.onnx'
    torch.onnx.export(net, torch.from_numpy(x[:1]), os.path.join(OUT, p), opset_version=13,
                      input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    case(f'{tag}-onnx', [p], x, ref, format='onnx', config='torchvision')
    return net, x, ref


class PaperNet(nn.Module):
    """The paper's topology as Caffe's bvlc_alexnet computes it: groups 2 in conv2/4/5, LRN with k and alpha/n
    (torch.nn.LocalResponseNorm has Caffe's convention), pooling rounded up; `pool5_end_pad` pads pool5's bottom
    and right edges with -inf and rounds down instead (the ONNX zoo's layout at 224)."""
    def __init__(self, c, fc, classes, lrn, ceil=True, pool5_end_pad=0):
        super().__init__()
        n, alpha, beta, k = lrn
        self.c = nn.ModuleList([nn.Conv2d(3, c[0], 11, 4), nn.Conv2d(c[0], c[1], 5, padding=2, groups=2),
                                nn.Conv2d(c[1], c[2], 3, padding=1), nn.Conv2d(c[2], c[3], 3, padding=1, groups=2),
                                nn.Conv2d(c[3], c[4], 3, padding=1, groups=2)])
        self.lrn = nn.LocalResponseNorm(n, alpha=alpha, beta=beta, k=k)
        self.ceil, self.end = ceil, pool5_end_pad
        self.fc = nn.ModuleList([nn.Linear(c[4] * 36, fc[0]), nn.Linear(fc[0], fc[1]), nn.Linear(fc[1], classes)])

    def pool(self, x, last=False):
        if last and self.end:
            x = F.pad(x, (0, self.end, 0, self.end), value=float('-inf'))
        return F.max_pool2d(x, 3, 2, ceil_mode=self.ceil and not (last and self.end))

    def forward(self, x):
        x = self.pool(self.lrn(F.relu(self.c[0](x))))
        x = self.pool(self.lrn(F.relu(self.c[1](x))))
        x = F.relu(self.c[4](F.relu(self.c[3](F.relu(self.c[2](x))))))
        x = torch.flatten(self.pool(x, True), 1)
        return self.fc[2](F.relu(self.fc[1](F.relu(self.fc[0](x)))))


def paper_net(c, fc, classes, lrn, size, batch, **kw):
    torch.manual_seed(20)
    net = randomize(PaperNet(c, fc, classes, lrn, **kw))
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(21)).numpy()
    ref = logits64(net, x)
    return net.float(), x, ref


def np32(t):
    return t.detach().float().contiguous().numpy()


def zoo_onnx(tag, c, fc, classes, lrn, batch):
    """The model zoo's bvlcalexnet layout (Caffe -> Caffe2 -> ONNX), built with onnx.helper at 224 x 224."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    net, x, ref = paper_net(c, fc, classes, lrn, 224, batch, ceil=False, pool5_end_pad=1)
    n, alpha, beta, k = lrn
    inits, nodes = [], []
    def init(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name
    prev = 'data_0'
    def node(op, ins, name, **attrs):
        nonlocal prev
        out = f'{name}_1'
        nodes.append(helper.make_node(op, [prev] + ins, [out], name=name, **attrs))
        prev = out
    for i, conv in enumerate(net.c):
        node('Conv', [init(f'conv{i+1}_w_0', np32(conv.weight)), init(f'conv{i+1}_b_0', np32(conv.bias))], f'conv{i+1}',
             kernel_shape=list(conv.kernel_size), strides=list(conv.stride), pads=[conv.padding[0]] * 4, group=conv.groups)
        node('Relu', [], f'relu{i+1}')
        if i < 2:
            node('LRN', [], f'norm{i+1}', size=n, alpha=alpha, beta=beta, bias=k)
        if i in (0, 1, 4):
            node('MaxPool', [], f'pool{i+1}', kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1] if i == 4 else [0, 0, 0, 0])
    node('Reshape', [init('OC2_DUMMY_1', np.array([-1, c[4] * 36], dtype=np.int64))], 'reshape')
    for i, lin in enumerate(net.fc):
        node('Gemm', [init(f'fc{i+6}_w_0', np32(lin.weight)), init(f'fc{i+6}_b_0', np32(lin.bias))], f'fc{i+6}', transB=1)
        if i < 2:
            node('Relu', [], f'relu{i+6}')
            node('Dropout', [init(f'drop{i+6}_ratio', np.array(0.5, dtype=np.float32))], f'drop{i+6}')
    node('Softmax', [], 'prob', axis=1)
    graph = helper.make_graph(nodes, 'bvlcalexnet-like', [helper.make_tensor_value_info('data_0', TensorProto.FLOAT, ['N', 3, 224, 224])],
                              [helper.make_tensor_value_info(prev, TensorProto.FLOAT, ['N', classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 12)], producer_name='alexnet-ts fixtures (onnx.helper)')
    onnx.checker.check_model(model)
    p = f'{tag}.onnx'
    onnx.save(model, os.path.join(OUT, p))
    case(tag, [p], x, ref, format='onnx', config='caffe')
    if FULL:
        return
    # The same graph with its initializers in an external data file beside it (onnx's save_as_external_data).
    ext = onnx.load(os.path.join(OUT, p))
    onnx.save_model(ext, os.path.join(OUT, f'{tag}-external.onnx'), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=f'{tag}-external.data', size_threshold=0)
    case(f'{tag}-external', [f'{tag}-external.onnx', f'{tag}-external.data'], x, ref, format='onnx', config='caffe')
    # A graph whose external data claims to live outside the model's folder: a reader must refuse it, never read it.
    bad = onnx.load(os.path.join(OUT, f'{tag}-external.onnx'), load_external_data=False)
    for e in bad.graph.initializer[0].external_data:
        if e.key == 'location':
            e.value = '../outside.data'
    with open(os.path.join(OUT, 'bad-external.onnx'), 'wb') as f:
        f.write(bad.SerializeToString())


def caffe_pb2():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
    subprocess.run(['protoc', f'--proto_path={here}', f'--python_out={OUT}', os.path.join(here, 'caffe.proto')], check=True)
    sys.path.insert(0, OUT)
    import caffe_pb2 as pb
    return pb


def caffe_models(tag, c, fc, classes, lrn, batch, every=True):
    """caffemodels of the paper net at 227: LayerParameter (deploy), V1LayerParameter (deploy), and a train_val net."""
    pb = caffe_pb2()
    net, x, ref = paper_net(c, fc, classes, lrn, 227, batch)
    n, alpha, beta, k = lrn
    def blob(b, t, legacy):
        a = np32(t)
        if legacy:  # 2014 blobs: num, channels, height, width
            d = ([1] * (4 - a.ndim)) + list(a.shape)
            b.num, b.channels, b.height, b.width = d
        else:
            b.shape.dim.extend(a.shape)
        b.data.extend(a.ravel())
    def build(v1, trainval):
        m = pb.NetParameter(name=f'{tag}-{"v1" if v1 else "v2"}{"-trainval" if trainval else ""}')
        T = pb.V1LayerParameter
        def layer(kind, name, bottom, top, **params):
            l = m.layers.add() if v1 else m.layer.add()
            l.name = name
            if v1:
                l.type = {'Convolution': T.CONVOLUTION, 'ReLU': T.RELU, 'LRN': T.LRN, 'Pooling': T.POOLING, 'InnerProduct': T.INNER_PRODUCT,
                          'Dropout': T.DROPOUT, 'Data': T.DATA, 'SoftmaxWithLoss': T.SOFTMAX_LOSS, 'Accuracy': T.ACCURACY}[kind]
            else:
                l.type = kind
            l.bottom.extend(bottom); l.top.extend(top)
            for key, val in params.items():
                if key == 'blobs':
                    for t in val:
                        blob(l.blobs.add(), t, v1)
                else:
                    getattr(l, key).CopyFrom(val)
            return l
        if trainval:
            layer('Data', 'data', [], ['data', 'label'])
        elif v1:
            m.input.append('data'); m.input_dim.extend([batch, 3, 227, 227])
        else:
            m.input.append('data'); m.input_shape.add().dim.extend([batch, 3, 227, 227])
        prev = 'data'
        for i, conv in enumerate(net.c):
            name = f'conv{i+1}'
            cp = pb.ConvolutionParameter(num_output=conv.out_channels, kernel_size=[conv.kernel_size[0]], stride=[conv.stride[0]],
                                         pad=[conv.padding[0]] if conv.padding[0] else [])
            if conv.groups != 1:
                cp.group = conv.groups
            layer('Convolution', name, [prev], [name], convolution_param=cp, blobs=[conv.weight, conv.bias])
            layer('ReLU', f'relu{i+1}', [name], [name])
            prev = name
            if i < 2:
                lp = pb.LRNParameter(local_size=n, alpha=alpha, beta=beta)
                if not v1:
                    lp.k = k  # V1 files leave k at Caffe's default of 1
                layer('LRN', f'norm{i+1}', [prev], [f'norm{i+1}'], lrn_param=lp)
                prev = f'norm{i+1}'
            if i in (0, 1, 4):
                layer('Pooling', f'pool{i+1}', [prev], [f'pool{i+1}'], pooling_param=pb.PoolingParameter(pool=pb.PoolingParameter.MAX, kernel_size=3, stride=2))
                prev = f'pool{i+1}'
        for i, lin in enumerate(net.fc):
            name = f'fc{i+6}'
            layer('InnerProduct', name, [prev], [name], inner_product_param=pb.InnerProductParameter(num_output=lin.out_features), blobs=[lin.weight, lin.bias])
            prev = name
            if i < 2:
                layer('ReLU', f'relu{i+6}', [name], [name])
                layer('Dropout', f'drop{i+6}', [name], [name], dropout_param=pb.DropoutParameter(dropout_ratio=0.5))
        if trainval:
            layer('Accuracy', 'accuracy', [prev, 'label'], ['accuracy'])
            layer('SoftmaxWithLoss', 'loss', [prev, 'label'], ['loss'])
        return m
    out = []
    for v1, trainval in ((False, False), (True, False), (False, True)) if every else ((False, False),):
        m = build(v1, trainval)
        p = f'{m.name}.caffemodel'
        with open(os.path.join(OUT, p), 'wb') as f:
            f.write(m.SerializeToString())
        out.append(p)
    case(f'{tag}-v2', [out[0]], x, ref, format='caffe', config='caffe')
    if not every:
        return
    # The deploy prototxt of the train_val net: the V2 deploy net without blobs, in protobuf's text format.
    from google.protobuf import text_format
    deploy = build(False, False)
    for l in deploy.layer:
        del l.blobs[:]
    with open(os.path.join(OUT, f'{tag}-deploy.prototxt'), 'w') as f:
        f.write('# deploy net of ' + tag + '\n' + text_format.MessageToString(deploy))
    # A mean image as Caffe's compute_image_mean writes it (BlobProto [1, 3, 256, 256], BGR) and as the .npy its Python tools load.
    rs = np.random.RandomState(7)
    mean = (np.array([104.0, 117.0, 123.0])[:, None, None] + rs.uniform(-20, 20, (3, 256, 256))).astype('<f4')
    mb = pb.BlobProto()
    mb.shape.dim.extend([1, 3, 256, 256])
    mb.data.extend(mean.ravel())
    with open(os.path.join(OUT, f'{tag}-mean.binaryproto'), 'wb') as f:
        f.write(mb.SerializeToString())
    npy(f'{tag}-mean.npy', mean)
    case(f'{tag}-v1', [out[1]], x, ref, format='caffe', config='caffe')
    case(f'{tag}-trainval', [out[2]], x, ref, format='caffe', config='caffe', prototxt=f'{tag}-deploy.prototxt')


def write_manifest():
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump({'format': 'alexnet-ts-fixtures/1', 'torch': torch.__version__, 'full': FULL, 'cases': manifest}, f, indent=1)
    print(f'fixtures: {len(manifest)} cases in {OUT}')


if FULL:
    # One full-size file per format: torchvision's 61.1 M parameters; the paper's 60.97 M with its LRN (section 3.3).
    torchvision_cases('torchvision-full', [64, 192, 384, 256, 256], [4096, 4096], 1000, 1, sixteen=False)
    PAPER_LRN = (5, 1e-4, 0.75, 1.0)
    zoo_onnx('zoo-full', [96, 256, 384, 384, 256], [4096, 4096], 1000, PAPER_LRN, 1)
    caffe_models('caffe-full', [96, 256, 384, 384, 256], [4096, 4096], 1000, PAPER_LRN, 1, every=False)
    write_manifest()
    sys.exit(0)

torchvision_cases('torchvision', [8, 16, 24, 16, 16], [32, 32], 1000, 2)
# LRN at alpha 0.5 in the reduced nets, so that the alpha/n convention and k change the logits far beyond the tolerance.
SMALL_LRN = (5, 0.5, 0.75, 1.0)
zoo_onnx('zoo-onnx', [8, 16, 24, 24, 16], [32, 32], 1000, SMALL_LRN, 2)
caffe_models('caffe', [8, 16, 24, 24, 16], [32, 32], 1000, SMALL_LRN, 2)

# Files a reader must refuse, each for a reason its error must name.
torch.save({'conv1.weight': torch.zeros(4, 3, 3, 3), 'fc.weight': torch.zeros(10, 4)}, os.path.join(OUT, 'bad-arch.pth'))
nan_sd = {k: v.clone() for k, v in tv_net([8, 16, 24, 16, 16], [32, 32], 1000).state_dict().items()}
nan_sd['classifier.4.weight'][3, 5] = float('nan')
torch.save(nan_sd, os.path.join(OUT, 'bad-nan.pth'))


class Evil:
    """A pickle that would call os.system on load: the reader must refuse the global, never call it."""
    def __reduce__(self):
        return (os.system, ('echo pwned > ' + os.path.join(OUT, 'pwned'),))


torch.save({'features.0.weight': Evil()}, os.path.join(OUT, 'bad-global.pth'))

# A photo-like image and what torchvision's ImageNet transforms make of it (PIL resize, as torchvision 0.14 does).
from PIL import Image
import torchvision.transforms as T
rs = np.random.RandomState(5)
yy, xx = np.mgrid[0:300, 0:451]
img = np.stack([(xx * 255 / 450), (yy * 255 / 299), 128 + 100 * np.sin(xx / 17.0) * np.cos(yy / 23.0)], -1)
img = np.clip(img + rs.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
Image.fromarray(img).save(os.path.join(OUT, 'photo.png'))
tf = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
npy('photo.torchvision.npy', tf(Image.open(os.path.join(OUT, 'photo.png')).convert('RGB')).numpy()[None].astype('<f4'))
# TenCrop: the four corners and the centre, then the same five of the mirrored image.
norm = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ten = T.Compose([T.Resize(256), T.TenCrop(224), T.Lambda(lambda crops: torch.stack([norm(c) for c in crops]))])
npy('photo.torchvision-tencrop.npy', ten(Image.open(os.path.join(OUT, 'photo.png')).convert('RGB')).numpy().astype('<f4'))

write_manifest()
